package io.sluice.error;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.quarkus.logging.Log;

/** Turns exceptions that reach JAX-RS into problem+json: never a stack trace or a class name to a client. */
public class ProblemMappers {

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String title = e.getResponse().getStatusInfo().getReasonPhrase();
        return Problems.response(Problem.of("http-" + status, title, status, title));
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        Log.errorf(e, "unexpected error answering a request");
        return Problems.response(Problem.of("internal", "Internal error", 500,
                "The request could not be processed; it was not stored. Retry later."));
    }
}
