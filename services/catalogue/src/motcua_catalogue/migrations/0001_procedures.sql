-- The procedure catalogue: fields, agencies, versioned procedures and the search index.
--
-- Search columns hold text already folded by the service (motcua_catalogue.domain.text.fold:
-- lower case, no diacritics, đ -> d, tokens joined by single spaces), so the index and the
-- queries fold the same way. fold_text() below does the same in SQL with unaccent, for
-- operators in psql; a test checks that both agree on the seed catalogue.

-- Extensions are database-wide: several services may migrate at the same moment, and
-- CREATE EXTENSION IF NOT EXISTS is not safe against a concurrent creator.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
EXCEPTION WHEN unique_violation OR duplicate_object THEN
    NULL;
END;
$$;
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
EXCEPTION WHEN unique_violation OR duplicate_object THEN
    NULL;
END;
$$;

CREATE FUNCTION fold_text(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, translate(value, 'đĐ', 'dd'))),
                                '\s+', ' ', 'g'))
$$;

CREATE TABLE fields (
    code        text        PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_-]{0,39}$'),
    name        text        NOT NULL CHECK (name <> ''),
    name_norm   text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agencies (
    code        text        PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{1,10}(\.[A-Z0-9]{1,10}){1,5}$'),
    name        text        NOT NULL CHECK (name <> ''),
    name_norm   text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE procedures (
    code                text        NOT NULL CHECK (code ~ '^\d\.\d{6}\.\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$'),
    version             integer     NOT NULL CHECK (version > 0),
    status              text        NOT NULL CHECK (status IN ('draft', 'published', 'superseded', 'withdrawn')),
    name                text        NOT NULL CHECK (length(name) BETWEEN 3 AND 500),
    field_code          text        NOT NULL REFERENCES fields (code),
    field_name          text        NOT NULL,     -- as published in this version
    agency_code         text        NOT NULL REFERENCES agencies (code),
    agency_name         text        NOT NULL,     -- as published in this version
    level               text        NOT NULL CHECK (level IN ('province', 'commune', 'district')),
    online_level        text        NOT NULL CHECK (online_level IN ('full', 'partial', 'none')),
    legacy_level_label  text        NOT NULL DEFAULT '',
    min_working_days    integer     NOT NULL CHECK (min_working_days >= 0),
    -- processing_times, fees, required_documents, submission/result channels, legal_basis,
    -- keywords, synonyms: the import format's JSON (motcua.catalogue.import.v1).
    details             jsonb       NOT NULL,
    content_hash        text        NOT NULL,     -- sha256 of the canonical content: unchanged rows are skipped
    name_norm           text        NOT NULL,     -- folded name
    terms_norm          text        NOT NULL,     -- folded keywords, synonyms, field name
    body_norm           text        NOT NULL,     -- folded documents, legal basis
    created_at          timestamptz NOT NULL DEFAULT now(),
    created_by          text        NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    published_at        timestamptz,
    published_by        text,
    withdrawn_at        timestamptz,
    withdrawn_by        text,
    withdrawal_reason   text        NOT NULL DEFAULT '',
    replaced_by_code    text        NOT NULL DEFAULT '',
    PRIMARY KEY (code, version),
    -- Only published versions are ever superseded or withdrawn.
    CONSTRAINT procedures_published_at CHECK ((status = 'draft') = (published_at IS NULL)),
    CONSTRAINT procedures_withdrawn_at CHECK ((status IN ('superseded', 'withdrawn')) = (withdrawn_at IS NOT NULL))
);

-- At most one published and one draft version per procedure: a second publish in a
-- race fails here instead of leaving two versions in force.
CREATE UNIQUE INDEX procedures_one_published_idx ON procedures (code) WHERE status = 'published';
CREATE UNIQUE INDEX procedures_one_draft_idx ON procedures (code) WHERE status = 'draft';

-- The search index: one compact row per procedure in force (its published version),
-- written in the same transaction as publishing and withdrawing. Rebuildable from
-- procedures at any time (see rebuild_search_entries). Writes are rare and reads
-- constant, so the GIN indexes skip the pending list (fastupdate = off): queries never
-- scan unmerged entries.
CREATE TABLE search_entries (
    code                text        PRIMARY KEY,
    version             integer     NOT NULL,
    name                text        NOT NULL,
    field_code          text        NOT NULL,
    field_name          text        NOT NULL,
    level               text        NOT NULL,
    agency_code         text        NOT NULL,
    agency_name         text        NOT NULL,
    online_level        text        NOT NULL,
    legacy_level_label  text        NOT NULL,
    min_working_days    integer     NOT NULL,
    name_norm           text        NOT NULL,
    name_words          integer     NOT NULL,     -- words in the name: ranking prefers names the query covers
    -- name (A), keywords + synonyms + field name (B), documents + legal basis (C)
    search_doc          tsvector    NOT NULL,
    -- name, keywords and synonyms, for trigram similarity (typo fallback)
    fuzzy_text          text        NOT NULL,
    FOREIGN KEY (code, version) REFERENCES procedures (code, version)
);

CREATE INDEX search_entries_doc_idx ON search_entries USING gin (search_doc) WITH (fastupdate = off);
CREATE INDEX search_entries_fuzzy_idx ON search_entries USING gin (fuzzy_text gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX search_entries_browse_idx ON search_entries (name_norm, code);
CREATE INDEX search_entries_field_idx ON search_entries (field_code);
CREATE INDEX search_entries_agency_idx ON search_entries (agency_code);
CREATE INDEX search_entries_code_prefix_idx ON search_entries (code text_pattern_ops);

-- Make search_entries hold exactly the published versions of `codes` (NULL: every procedure).
CREATE FUNCTION refresh_search_entries(codes text[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM search_entries s
    WHERE (codes IS NULL OR s.code = ANY (codes))
      AND NOT EXISTS (SELECT 1 FROM procedures p WHERE p.code = s.code AND p.version = s.version AND p.status = 'published');
    INSERT INTO search_entries (code, version, name, field_code, field_name, level, agency_code, agency_name,
                                online_level, legacy_level_label, min_working_days, name_norm, name_words, search_doc,
                                fuzzy_text)
    SELECT p.code, p.version, p.name, p.field_code, p.field_name, p.level, p.agency_code, p.agency_name,
           p.online_level, p.legacy_level_label, p.min_working_days, p.name_norm,
           greatest(1, cardinality(string_to_array(p.name_norm, ' '))),
           setweight(to_tsvector('simple'::regconfig, p.name_norm), 'A')
           || setweight(to_tsvector('simple'::regconfig, p.terms_norm), 'B')
           || setweight(to_tsvector('simple'::regconfig, p.body_norm), 'C'),
           btrim(p.name_norm || ' ' || p.terms_norm)
    FROM procedures p
    WHERE p.status = 'published' AND (codes IS NULL OR p.code = ANY (codes))
    ON CONFLICT (code) DO UPDATE SET
        version = EXCLUDED.version, name = EXCLUDED.name, field_code = EXCLUDED.field_code,
        field_name = EXCLUDED.field_name, level = EXCLUDED.level, agency_code = EXCLUDED.agency_code,
        agency_name = EXCLUDED.agency_name, online_level = EXCLUDED.online_level,
        legacy_level_label = EXCLUDED.legacy_level_label, min_working_days = EXCLUDED.min_working_days,
        name_norm = EXCLUDED.name_norm, name_words = EXCLUDED.name_words, search_doc = EXCLUDED.search_doc, fuzzy_text = EXCLUDED.fuzzy_text;
$$;

-- Global synonym groups: every term of a group finds what any other term finds.
CREATE TABLE search_synonyms (
    group_key   text NOT NULL,
    term        text NOT NULL CHECK (term <> ''),
    PRIMARY KEY (group_key, term)
);

-- Every change to what search reads wakes the services' search caches (NOTIFY is
-- delivered on commit, once per transaction and channel).
CREATE FUNCTION catalogue_changed_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(left('motcua_catalogue_changed_' || TG_TABLE_SCHEMA, 63), '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER procedures_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON procedures
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed_notify();
CREATE TRIGGER search_entries_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON search_entries
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed_notify();
CREATE TRIGGER fields_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fields
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed_notify();
CREATE TRIGGER agencies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agencies
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed_notify();
CREATE TRIGGER search_synonyms_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON search_synonyms
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed_notify();
