package io.sluice.webhook;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.sluice.webhook.PartnerRegistry.Partner;

/**
 * Per-partner request rate limits ({@code sluice.webhook.partners.<name>.rate-limit}, requests per second): one
 * Bucket4j token bucket per partner, holding one second of requests and refilled continuously. The buckets live in
 * this instance's memory, so N replicas allow N times the configured rate in total.
 */
@ApplicationScoped
public class RateLimits {

    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** Takes one request from the partner's budget: empty when allowed, else the seconds to wait before a retry. */
    public OptionalLong acquire(Partner partner) {
        if (partner.rateLimit().isEmpty()) {
            return OptionalLong.empty();
        }
        Bucket bucket = buckets.computeIfAbsent(partner.name(), name -> bucket(partner.rateLimit().get()));
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) {
            return OptionalLong.empty();
        }
        long seconds = Duration.ofNanos(probe.getNanosToWaitForRefill()).toSeconds() + 1;
        return OptionalLong.of(seconds);
    }

    private static Bucket bucket(int perSecond) {
        int rate = Math.max(1, perSecond);
        return Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(rate).refillGreedy(rate, Duration.ofSeconds(1)).build())
                .build();
    }
}
