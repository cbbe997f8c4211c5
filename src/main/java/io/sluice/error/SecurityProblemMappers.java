package io.sluice.error;

import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;

/** Answers the admin API's authentication and authorisation failures as problem+json. */
public class SecurityProblemMappers {

    private static final String CHALLENGE = "Bearer realm=\"sluice-admin\"";

    @ServerExceptionMapper
    public Response unauthenticated(UnauthorizedException e) {
        return unauthorized();
    }

    @ServerExceptionMapper
    public Response failed(AuthenticationFailedException e) {
        return unauthorized();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return Problems.response(Problem.of("forbidden", "Forbidden", 403,
                "The token is valid but lacks the role this operation needs."));
    }

    private static Response unauthorized() {
        return Response.fromResponse(Problems.response(Problem.of("unauthorized", "Unauthorized", 401,
                "Send a valid admin token: Authorization: Bearer <token>.")))
                .header("WWW-Authenticate", CHALLENGE).build();
    }
}
