package io.sluice.config;

import java.util.Map;
import java.util.Set;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Who may call the admin API ({@code /v1/admin}), separately from partners. Each token has a name (used in logs, never
 * the token itself) and roles; set them from a Kubernetes Secret, e.g. {@code SLUICE_ADMIN_TOKENS_OPS_TOKEN} and
 * {@code SLUICE_ADMIN_TOKENS_OPS_ROLES=sluice-reader,sluice-operator}.
 */
@ConfigMapping(prefix = "sluice.admin")
public interface AdminConfig {

    /** Bearer tokens by name. */
    Map<String, Token> tokens();

    interface Token {

        /** The bearer token; at least 24 characters, random, from a secret store. */
        String token();

        /** Roles the token grants: {@code sluice-reader} (lineage, lists), {@code sluice-operator} (requeue, replay). */
        @WithDefault("sluice-reader")
        Set<String> roles();
    }
}
