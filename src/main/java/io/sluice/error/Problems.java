package io.sluice.error;

import jakarta.ws.rs.core.Response;

/** The problems Sluice answers with, one factory per stable problem type. */
public final class Problems {

    private Problems() {
    }

    public static Response response(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }

    public static Response badRequest(String detail) {
        return response(Problem.of("malformed-body", "Body is not readable as events", 400, detail));
    }

    public static Response unauthorized() {
        return response(Problem.of("unauthorized", "Unauthorized", 401,
                "The request could not be authenticated for this path."));
    }

    public static Response tooLarge(String detail) {
        return response(Problem.of("too-large", "Payload too large", 413, detail));
    }

    public static Response unsupportedMediaType(String contentType) {
        return response(Problem.of("unsupported-media-type", "Unsupported media type", 415,
                "Content-Type " + contentType + " is not accepted; use application/json, "
                        + "application/cloudevents+json, application/cloudevents-batch+json or a binary-mode CloudEvent."));
    }

    public static Response tooManyRequests(int retryAfterSeconds) {
        return Response.fromResponse(response(Problem.of("rate-limited", "Too many requests", 429,
                "This partner is over its rate limit; retry after the delay in Retry-After.")))
                .header("Retry-After", retryAfterSeconds).build();
    }

    public static Response unavailable(int retryAfterSeconds, String detail) {
        return Response.fromResponse(response(Problem.of("unavailable", "Service unavailable", 503, detail)))
                .header("Retry-After", retryAfterSeconds).build();
    }
}
