package io.sluice.webhook;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.sluice.bronze.DatabaseFailures;
import io.sluice.bronze.WebhookDeliveries.Answer;
import io.sluice.config.SluiceConfig;
import io.sluice.error.Problems;
import io.sluice.event.CloudEvents;
import io.sluice.event.EventDecoder;
import io.sluice.event.EventDecoder.Events;
import io.sluice.event.EventDecoder.Format;
import io.sluice.event.EventDecoder.TooLarge;
import io.sluice.event.EventDecoder.Unreadable;
import io.sluice.ingest.Incoming;
import io.sluice.ingest.IngestPipeline;
import io.sluice.ingest.IngestPipeline.DeliveryKey;
import io.sluice.ingest.IngestPipeline.Landed;
import io.sluice.ingest.IngestPipeline.Replayed;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.webhook.PartnerRegistry.Partner;
import io.vertx.ext.web.RoutingContext;

/** The HTTP door (SPEC.md section 4): authenticates a partner's signed request and hands its events on. */
@Path("/v1/webhooks/{partner}")
public class WebhookResource {

    static final String WEBHOOK_ID = "webhook-id";
    static final String WEBHOOK_TIMESTAMP = "webhook-timestamp";
    static final String WEBHOOK_SIGNATURE = "webhook-signature";

    private final PartnerRegistry partners;
    private final IngestPipeline pipeline;
    private final SluiceConfig config;
    private final SluiceMetrics metrics;
    private final Clock clock;
    private final RateLimits rateLimits;
    private final InFlightLimit inFlight;

    public WebhookResource(PartnerRegistry partners, IngestPipeline pipeline, SluiceConfig config,
            SluiceMetrics metrics, Clock clock, RateLimits rateLimits, InFlightLimit inFlight) {
        this.partners = partners;
        this.pipeline = pipeline;
        this.config = config;
        this.metrics = metrics;
        this.clock = clock;
        this.rateLimits = rateLimits;
        this.inFlight = inFlight;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces({MediaType.APPLICATION_JSON, "application/problem+json"})
    public Uni<Response> receive(@PathParam("partner") String partnerName, @Context HttpHeaders headers,
            @Context RoutingContext routing) {
        byte[] raw = body(routing);
        if (raw.length > config.limits().maxRequestBytes()) {
            return done(Problems.tooLarge("body is larger than " + config.limits().maxRequestBytes() + " bytes"));
        }
        String webhookId = headers.getHeaderString(WEBHOOK_ID);
        Optional<Partner> partner = partners.find(partnerName);
        var failure = partner.isEmpty()
                ? Optional.of(SignatureVerifier.Failure.NO_MATCHING_SIGNATURE)
                : SignatureVerifier.verify(partner.get().keys(), webhookId, headers.getHeaderString(WEBHOOK_TIMESTAMP),
                        headers.getHeaderString(WEBHOOK_SIGNATURE), raw, clock.instant(),
                        config.webhook().tolerance());
        if (failure.isPresent()) {
            metrics.authFailure(partner.isPresent() ? partnerName : "unknown",
                    partner.isPresent() ? failure.get().tag() : "unknown_partner");
            return done(Problems.unauthorized());
        }
        OptionalLong wait = rateLimits.acquire(partner.get());
        if (wait.isPresent()) {
            metrics.webhookRefused(partnerName, "rate_limited");
            return done(Problems.tooManyRequests((int) Math.min(Integer.MAX_VALUE, wait.getAsLong())));
        }
        Map<String, String> ceHeaders = ceHeaders(headers);
        Optional<Format> format = format(headers.getMediaType(), ceHeaders);
        if (format.isEmpty()) {
            return done(Problems.unsupportedMediaType(String.valueOf(headers.getMediaType())));
        }
        return inFlight.run(() -> decodeThenLand(partnerName, webhookId, headers, raw, format.get(), ceHeaders),
                () -> saturated(partnerName));
    }

    /**
     * An unreadable body is answered without touching PostgreSQL (so also while it is down). A readable one is landed
     * at once: a redelivery is recognised by its webhook-id in the landing statement itself and answered as the first
     * delivery was.
     */
    private Uni<Response> decodeThenLand(String partner, String webhookId, HttpHeaders headers, byte[] body,
            Format format, Map<String, String> ceHeaders) {
        EventDecoder.Decoded decoded = pipeline.decode(body, format, ceHeaders);
        if (decoded instanceof Unreadable unreadable) {
            return done(Problems.badRequest(unreadable.detail()));
        }
        if (decoded instanceof TooLarge tooLarge) {
            return done(Problems.tooLarge(tooLarge.detail()));
        }
        return land(partner, webhookId, headers, (Events) decoded)
                .onFailure().recoverWithItem(error -> notStored(partner, error));
    }

    private Uni<Response> land(String partner, String webhookId, HttpHeaders headers, Events decoded) {
        Map<String, String> kept = new TreeMap<>();
        kept.put(WEBHOOK_ID, webhookId);
        kept.put(WEBHOOK_TIMESTAMP, headers.getHeaderString(WEBHOOK_TIMESTAMP));
        List<Incoming> batch = decoded.events().stream()
                .map(event -> Incoming.webhook(partner, event, kept))
                .toList();
        return pipeline.land(batch, Optional.of(new DeliveryKey(partner, webhookId)))
                .map(outcome -> outcome instanceof Landed landed
                        ? answer(pipeline.answer(landed.result()))
                        : answer(((Replayed) outcome).answer()));
    }

    /**
     * A landing that failed stored nothing, or is not known to have stored anything (a timeout): the partner retries.
     * Values PostgreSQL refuses never get here (the pipeline rejects that one event); anything but a transient failure
     * is a defect of ours, logged as such, and still answered 503, never 500.
     */
    private Response notStored(String partner, Throwable failure) {
        if (DatabaseFailures.isTransient(failure)) {
            Log.warnf("webhook from %s not stored, answering 503: %s", partner, failure.toString());
        } else {
            Log.errorf(failure, "webhook from %s not stored (unexpected failure), answering 503", partner);
        }
        metrics.webhookRefused(partner, "unavailable");
        return Problems.unavailable(config.webhook().retryAfterSeconds(),
                "Events could not be stored right now; nothing was kept. Retry after the delay in Retry-After.");
    }

    private Response saturated(String partner) {
        metrics.webhookRefused(partner, "saturated");
        return Problems.unavailable(config.webhook().retryAfterSeconds(),
                "Too many requests are being stored right now; nothing was kept. Retry after the delay in Retry-After.");
    }

    private static Response answer(Answer answer) {
        return Response.status(answer.status()).type(MediaType.APPLICATION_JSON).entity(answer.body()).build();
    }

    /** The raw body as {@link BodyLimit} buffered it: the exact bytes that were signed. */
    private static byte[] body(RoutingContext routing) {
        var body = routing.body();
        return body == null || body.buffer() == null ? new byte[0] : body.buffer().getBytes();
    }

    private static Uni<Response> done(Response response) {
        return Uni.createFrom().item(response);
    }

    /** Binary-mode CloudEvent attributes ({@code ce-id} ...), keyed the Kafka way ({@code ce_id}). */
    private static Map<String, String> ceHeaders(HttpHeaders headers) {
        Map<String, String> attributes = new TreeMap<>();
        headers.getRequestHeaders().forEach((name, values) -> {
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("ce-") && !values.isEmpty()) {
                attributes.put(CloudEvents.HEADER_PREFIX + lower.substring(3), values.get(0));
            }
        });
        return attributes;
    }

    private static Optional<Format> format(MediaType type, Map<String, String> ceHeaders) {
        if (type == null) {
            return Optional.empty();
        }
        String essence = (type.getType() + "/" + type.getSubtype()).toLowerCase(java.util.Locale.ROOT);
        return switch (essence) {
            case "application/json" -> Optional.of(CloudEvents.isBinary(ceHeaders)
                    ? Format.CLOUDEVENT_BINARY
                    : Format.NATIVE);
            case "application/cloudevents+json" -> Optional.of(Format.CLOUDEVENT);
            case "application/cloudevents-batch+json" -> Optional.of(Format.CLOUDEVENT_BATCH);
            default -> Optional.empty();
        };
    }
}
