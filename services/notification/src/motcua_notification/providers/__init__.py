"""Provider clients: Zalo OA, ZNS, eSMS, SpeedSMS, SMTP."""
