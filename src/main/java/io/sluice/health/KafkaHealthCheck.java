package io.sluice.health;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.eclipse.microprofile.health.HealthCheckResponse;

import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.health.api.HealthGroup;
import io.smallrye.mutiny.Uni;
import io.sluice.metrics.SluiceMetrics;

/**
 * The Kafka broker's state, in the health group {@code kafka} ({@code /q/health/group/kafka}) and in
 * {@code sluice_kafka_up}, never in readiness: webhooks keep working while the broker is down (SPEC I6), so a broker
 * outage must not take the instance out of its Service. SmallRye Reactive Messaging's own readiness checks are
 * switched off in application.properties ({@code health-readiness-enabled=false} on both channels).
 */
@HealthGroup(KafkaHealthCheck.GROUP)
@ApplicationScoped
public class KafkaHealthCheck implements AsyncHealthCheck {

    static final String GROUP = "kafka";
    static final String NAME = "Kafka broker";
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final Admin admin;
    private final SluiceMetrics metrics;
    private volatile boolean lastUp = true;

    public KafkaHealthCheck(@Identifier("default-kafka-broker") Map<String, Object> kafka, SluiceMetrics metrics) {
        Map<String, Object> config = new HashMap<>();
        kafka.forEach((key, value) -> {
            if (AdminClientConfig.configNames().contains(key)) {
                config.put(key, value);
            }
        });
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "sluice-health");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        this.admin = Admin.create(config);
        this.metrics = metrics;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return Uni.createFrom()
                .completionStage(() -> admin.describeCluster(new DescribeClusterOptions()
                        .timeoutMs((int) TIMEOUT.toMillis())).nodes().toCompletionStage())
                .ifNoItem().after(TIMEOUT.plusSeconds(1)).fail()
                .map(nodes -> {
                    record(!nodes.isEmpty(), null);
                    return HealthCheckResponse.named(NAME).status(!nodes.isEmpty()).withData("brokers", nodes.size())
                            .build();
                })
                .onFailure().recoverWithItem(e -> {
                    record(false, e);
                    return HealthCheckResponse.named(NAME).down().withData("error", e.getClass().getSimpleName())
                            .build();
                });
    }

    /** Keeps {@code sluice_kafka_up} current between probes (the alert reads it). */
    @Scheduled(every = "10s", delay = 5, concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> refresh() {
        return call().replaceWithVoid();
    }

    private void record(boolean up, Throwable failure) {
        metrics.kafkaUp(up);
        if (lastUp && !up) {
            Log.warnf("Kafka broker not reachable (webhooks still served, consumption paused): %s",
                    failure == null ? "no brokers" : failure.toString());
        } else if (!lastUp && up) {
            Log.info("Kafka broker reachable again");
        }
        lastUp = up;
    }

    @PreDestroy
    void close() {
        admin.close(Duration.ofSeconds(1));
    }
}
