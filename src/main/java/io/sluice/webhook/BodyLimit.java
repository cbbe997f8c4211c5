package io.sluice.webhook;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.logging.Log;
import io.sluice.config.SluiceConfig;
import io.sluice.error.Disconnects;
import io.sluice.error.Problem;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.webhook.BufferBudget.Hold;
import io.sluice.webhook.PartnerRegistry.Partner;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.impl.RoutingContextInternal;

/**
 * Reads webhook bodies before Quarkus REST sees them, within two limits, so that overload ends in 503s and never in
 * an {@code OutOfMemoryError}:
 * <ul>
 * <li>the memory of all webhook requests together ({@link BufferBudget}): a request is admitted before any byte of
 * its body is read, its declared {@code Content-Length} reserved (a chunked body is counted as it grows); one that
 * does not fit is answered 503 problem+json with {@code Retry-After} and {@code Connection: close} at once, its body
 * never kept (a {@code 100-continue} sender never even sends it). The hold ends when the answer is written or the
 * connection closes;</li>
 * <li>the size of one request ({@code sluice.limits.max-request-bytes}): a declared length over it is refused 413
 * before any byte is read, a chunked body as soon as it grows past it (before Quarkus's own, empty, 413 of
 * {@code quarkus.http.limits.max-body-size}).</li>
 * </ul>
 * The resource then reads the buffered body. A client that closes the connection mid-body is logged at debug, not
 * handed to Quarkus's error handler (which logs an ERROR for it).
 */
@ApplicationScoped
public class BodyLimit {

    static final String PATH = "/v1/webhooks/*";
    private static final String PREFIX = "/v1/webhooks/";
    /** Just before Quarkus's upload limit (RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT, -2). */
    private static final int ORDER = -3;

    private final long maxRequestBytes;
    private final BufferBudget budget;
    private final PartnerRegistry partners;
    private final SluiceMetrics metrics;
    private final int retryAfterSeconds;
    private final String tooLarge;
    private final String full;

    public BodyLimit(SluiceConfig config, ObjectMapper mapper, BufferBudget budget, PartnerRegistry partners,
            SluiceMetrics metrics) throws JsonProcessingException {
        this.maxRequestBytes = config.limits().maxRequestBytes();
        this.budget = budget;
        this.partners = partners;
        this.metrics = metrics;
        this.retryAfterSeconds = config.webhook().retryAfterSeconds();
        this.tooLarge = mapper.writeValueAsString(Problem.of("too-large", "Payload too large", 413,
                "body is larger than " + maxRequestBytes + " bytes"));
        this.full = mapper.writeValueAsString(Problem.of("unavailable", "Service unavailable", 503,
                "This instance holds as many request bodies as its memory allows; nothing was read or kept. "
                        + "Retry after the delay in Retry-After."));
    }

    void install(@Observes Router router) {
        router.post(PATH).order(ORDER).handler(this::read);
    }

    private void read(RoutingContext context) {
        HttpServerRequest request = context.request();
        long declared = declaredLength(request);
        if (declared > maxRequestBytes) {
            answer(context, 413, tooLarge);
            return;
        }
        Optional<Hold> admitted = budget.admit(Math.max(0, declared));
        if (admitted.isEmpty()) {
            refuse(context);
            return;
        }
        Hold hold = admitted.get();
        // the answer written, or the connection closed before it: the body's memory is free again
        context.addEndHandler(ignored -> hold.release());
        if (request.isEnded()) {
            ((RoutingContextInternal) context).setBody(Buffer.buffer());
            context.next();
            return;
        }
        new Reader(context, hold, declared).start();
    }

    /** Reads one admitted body into a buffer sized to its declared length, then hands the request on. */
    private final class Reader {

        private final RoutingContext context;
        private final Hold hold;
        private final boolean chunked;
        private final Buffer body;
        private boolean refused;

        Reader(RoutingContext context, Hold hold, long declared) {
            this.context = context;
            this.hold = hold;
            this.chunked = declared < 0;
            this.body = Buffer.buffer(chunked ? 4096 : (int) declared);
        }

        void start() {
            HttpServerRequest request = context.request();
            request.handler(this::chunk);
            request.endHandler(ignored -> end());
            request.exceptionHandler(this::failed);
            if (request.version() == HttpVersion.HTTP_1_1
                    && "100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
                context.response().writeContinue();
            }
            request.resume();
        }

        private void chunk(Buffer chunk) {
            if (refused) {
                return;
            }
            if (body.length() + chunk.length() > maxRequestBytes) {
                refused = true;
                answer(context, 413, tooLarge);
            } else if (chunked && !hold.grow(chunk.length())) {
                refused = true;
                refuse(context);
            } else {
                body.appendBuffer(chunk);
            }
        }

        private void end() {
            if (!refused) {
                RoutingContextInternal internal = (RoutingContextInternal) context;
                internal.setBody(body);
                internal.visitHandler(RoutingContextInternal.BODY_HANDLER);
                context.next();
            }
        }

        private void failed(Throwable failure) {
            hold.release();
            if (Disconnects.clientGone(failure)) {
                clientGone(failure);
            } else if (!refused) {
                refused = true;
                context.fail(failure);
            }
        }
    }

    /** Logged by this class's logger (not the reader's), so that its level is the door's. */
    private static void clientGone(Throwable failure) {
        // the partner closed the connection while its body was read: nobody to answer, nothing stored
        Log.debugf("webhook body not read to its end, the client went away: %s", failure.toString());
    }

    /** 503 at once, the body not kept (see {@link #answer}). */
    private void refuse(RoutingContext context) {
        metrics.webhookRefused(partnerTag(context.normalizedPath()), "memory");
        context.response().putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(retryAfterSeconds));
        answer(context, 503, full);
    }

    /**
     * Answers at once with {@code Connection: close}, then lets the rest of the body go by unkept and closes the
     * connection when it has passed (after the answer is flushed). Closing while the body still arrives would reset
     * the connection, and a sender that is still writing would lose the answer with it (the overload check saw that
     * for most refusals); the discarded bytes cost no memory. Past {@code max-request-bytes} of discarded body the
     * connection is closed anyway.
     */
    private void answer(RoutingContext context, int status, String problem) {
        HttpServerResponse response = context.response();
        if (response.headWritten()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(problem);
        HttpServerRequest request = context.request();
        if (request.isEnded()) {
            response.close();
            return;
        }
        long[] discarded = {0};
        request.handler(chunk -> {
            discarded[0] += chunk.length();
            if (discarded[0] > maxRequestBytes) {
                response.close();
            }
        });
        request.endHandler(ignored -> response.close());
        request.exceptionHandler(ignored -> {
            // the sender went away before its body ended: nothing more to do
        });
        request.resume();
    }

    /** The partner a refused request named, if it is a configured one: meter tags never carry arbitrary paths. */
    private String partnerTag(String path) {
        if (path == null || !path.startsWith(PREFIX)) {
            return "unknown";
        }
        String segment = path.substring(PREFIX.length());
        int slash = segment.indexOf('/');
        return partners.find(slash < 0 ? segment : segment.substring(0, slash)).map(Partner::name).orElse("unknown");
    }

    /** The declared {@code Content-Length}, or -1 when the body has none (chunked) or it is not a number. */
    private static long declaredLength(HttpServerRequest request) {
        String header = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
