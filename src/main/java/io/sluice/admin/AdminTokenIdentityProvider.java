package io.sluice.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.logging.Log;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.sluice.config.AdminConfig;

/**
 * Turns a configured bearer token into an identity named after the token (never the token) with its roles. Tokens
 * are compared as SHA-256 digests in constant time, so neither the length nor a prefix of a token leaks.
 */
@ApplicationScoped
public class AdminTokenIdentityProvider implements IdentityProvider<TokenAuthenticationRequest> {

    private record Known(String name, byte[] digest, Set<String> roles) {
    }

    private final List<Known> tokens;

    public AdminTokenIdentityProvider(AdminConfig config) {
        this.tokens = config.tokens().entrySet().stream()
                .map(e -> new Known(e.getKey(), digest(e.getValue().token()), Set.copyOf(e.getValue().roles())))
                .toList();
        Log.infof("admin API tokens configured: %s", tokens.stream().map(Known::name).toList());
    }

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request,
            AuthenticationRequestContext context) {
        byte[] given = digest(request.getToken().getToken());
        Known match = null;
        for (Known known : tokens) {
            if (MessageDigest.isEqual(known.digest(), given)) {
                match = known;
            }
        }
        if (match == null) {
            return Uni.createFrom().failure(new AuthenticationFailedException("unknown admin token"));
        }
        return Uni.createFrom().item(QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(match.name()))
                .addRoles(match.roles())
                .addCredential(request.getToken())
                .build());
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
