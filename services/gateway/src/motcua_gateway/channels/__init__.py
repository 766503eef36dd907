"""Citizen channels in the gateway: the Zalo Official Account webhook and two-way SMS.

Layout (see docs/channels.md):
- `signatures`: authenticity of inbound webhooks (Zalo X-ZEvent-Signature, eSMS MO `sign`), pure;
- `text`: dossier-code normalisation, diacritic folding, command parsing, pure;
- `conversation`: the home-support registration state machine and its Vietnamese prompts, pure;
- `repository`: all SQL (inbox, identities, conversations, attachments);
- `backends`: the gRPC calls to the catalogue, dossier, scheduler and notification services;
- `zalo` / `sms`: what one inbound event does; `worker`: the durable inbox loop; `runtime`: wiring.
"""
