-- 015_http_tokens: bearer tokens for the reporting service's HTTP port (report downloads and the
-- /events stream), each issued to a registered principal whose region scope then applies, as a
-- CURVE key's does on the ROUTER. `fangpinctl token add` makes the token (fpt_ and 43 base64url
-- characters from 32 random bytes) and prints it once; only its SHA-256 is stored here, so a copy
-- of the database does not open the port. Revoking or expiring a token, or disabling its
-- principal, takes effect at the next request.
CREATE TABLE http_tokens (
    id           bigserial PRIMARY KEY,
    principal_id text NOT NULL REFERENCES principals (id),
    token_sha256 bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    label        text NOT NULL DEFAULT '',           -- what it is for: "县指挥部大屏"
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,                        -- NULL: until revoked
    revoked_at   timestamptz,
    last_used_at timestamptz                         -- stamped by each request it admits
);
CREATE INDEX http_tokens_principal ON http_tokens (principal_id);
