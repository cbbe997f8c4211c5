package io.sluice.webhook;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.logging.Log;
import io.sluice.config.SluiceConfig;
import io.sluice.error.Disconnects;
import io.sluice.error.Problem;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Reads webhook bodies up to {@code sluice.limits.max-request-bytes} before Quarkus REST sees them, so every 413 of
 * the webhook path is problem+json: a declared {@code Content-Length} over the limit is refused before any byte is
 * read, a chunked body as soon as it grows past it. Runs before Quarkus's own {@code quarkus.http.limits.max-body-size}
 * check (which answers an empty 413); the resource then reads the buffered body. A client that closes the connection
 * mid-body is logged at debug, not handed to Quarkus's error handler (which logs an ERROR for it).
 */
@ApplicationScoped
public class BodyLimit {

    static final String PATH = "/v1/webhooks/*";
    /** Just before Quarkus's upload limit (RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT, -2). */
    private static final int ORDER = -3;

    private final long maxRequestBytes;
    private final String problem;

    public BodyLimit(SluiceConfig config, ObjectMapper mapper) throws JsonProcessingException {
        this.maxRequestBytes = config.limits().maxRequestBytes();
        this.problem = mapper.writeValueAsString(Problem.of("too-large", "Payload too large", 413,
                "body is larger than " + maxRequestBytes + " bytes"));
    }

    void install(@Observes Router router) {
        router.post(PATH).order(ORDER)
                .handler(BodyHandler.create(false).setBodyLimit(maxRequestBytes))
                .failureHandler(this::describeTooLarge);
    }

    private void describeTooLarge(RoutingContext context) {
        if (Disconnects.clientGone(context.failure())) {
            // the partner closed the connection while its body was read: nobody to answer, nothing stored
            Log.debugf("webhook body not read to its end, the client went away: %s", context.failure().toString());
            return;
        }
        if (context.statusCode() != 413 || context.response().headWritten()) {
            context.next();
            return;
        }
        context.response()
                .setStatusCode(413)
                .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(problem);
    }
}
