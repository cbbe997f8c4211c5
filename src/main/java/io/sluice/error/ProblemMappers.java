package io.sluice.error;

import java.io.IOException;

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

    /**
     * A request body that could not be read: over {@code quarkus.http.limits.max-body-size} without a declared
     * length (Quarkus says "Request too large"), or cut off by the client. The client's doing, never a 500.
     */
    @ServerExceptionMapper
    public Response unreadableBody(IOException e) {
        if (String.valueOf(e.getMessage()).contains("Request too large")) {
            return Problems.tooLarge("body is larger than the server's request size limit");
        }
        Log.debugf("request body could not be read: %s", e.toString());
        return Problems.badRequest("the request body could not be read");
    }

    /** A client that went away mid-request is not an error of ours ({@link Disconnects}); anything else is. */
    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        if (Disconnects.clientGone(e)) {
            Log.debugf("the client went away before its answer: %s", e.toString());
        } else {
            Log.errorf(e, "unexpected error answering a request");
        }
        return Problems.response(Problem.of("internal", "Internal error", 500,
                "The request could not be processed; it was not stored. Retry later."));
    }
}
