package io.sluice.promotion;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.sluice.bronze.BronzeWriter;
import io.sluice.bronze.Landed;
import io.sluice.config.DatabaseSessions;
import io.sluice.config.SluiceConfig;
import io.sluice.metrics.SluiceMetrics;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.pubsub.PgSubscriber;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgConnectOptions;

/**
 * Moves bronze to silver and gold asynchronously. Woken at once by this instance's landings ({@link Landed}), by
 * PostgreSQL {@code NOTIFY sluice_bronze} (sent after landings of any instance, at most every 100 ms per instance)
 * and by a periodic sweep; all state lives in {@code bronze.promotion_batches} and {@code bronze.promotion_queue},
 * so a lost notification or a crash only delays work. Each wake-up drains the due work in {@link PromotionRound}s; a round that
 * fails for a reason other than a transient database error is split in halves until the bad event fails alone.
 */
@ApplicationScoped
public class Promoter {

    private static final String LAG = """
            SELECT coalesce(extract(epoch FROM now() - least(
                       (SELECT min(received_at) FROM bronze.promotion_batches),
                       (SELECT min(received_at) FROM bronze.promotion_queue))) * 1000, 0)::bigint AS lag_ms
            """;

    private final PromotionRound round;
    private final Pool pool;
    private final Vertx vertx;
    private final SluiceMetrics metrics;
    private final SluiceConfig.Promotion config;
    private final PgConnectOptions listenOptions;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean wanted = new AtomicBoolean();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private volatile PgSubscriber subscriber;

    public Promoter(PromotionRound round, Pool pool, Vertx vertx, SluiceMetrics metrics, SluiceConfig config,
            DatabaseSessions sessions,
            @ConfigProperty(name = "quarkus.datasource.reactive.url") String url,
            @ConfigProperty(name = "quarkus.datasource.username") String username,
            @ConfigProperty(name = "quarkus.datasource.password") String password) {
        this.round = round;
        this.pool = pool;
        this.vertx = vertx;
        this.metrics = metrics;
        this.config = config.promotion();
        this.listenOptions = sessions.bound(PgConnectOptions.fromUri(url.replaceFirst("^vertx-reactive:", ""))
                .setUser(username).setPassword(password));
    }

    void listen(@Observes StartupEvent started) {
        if (!config.enabled()) {
            return;
        }
        subscriber = PgSubscriber.subscriber(vertx, listenOptions)
                .reconnectPolicy(retries -> 1000L);
        subscriber.channel(BronzeWriter.NOTIFY_CHANNEL)
                .subscribeHandler(this::wake)
                .handler(payload -> wake());
        connect();
    }

    /** Connects the subscriber; a lost connection is re-established by its reconnect policy, a failed first one here. */
    private void connect() {
        subscriber.connect().subscribe().with(
                connected -> Log.infof("promoter listening on %s", BronzeWriter.NOTIFY_CHANNEL),
                failure -> {
                    Log.warnf("promoter could not LISTEN yet (the sweep still runs), retrying: %s", failure.toString());
                    vertx.setTimer(1000, timer -> {
                        if (!subscriber.closed()) {
                            connect();
                        }
                    });
                });
    }

    /** SIGTERM: no new drain starts; a round in flight commits or, cut off by the exit, rolls back. */
    void draining(@Observes ShutdownDelayInitiatedEvent draining) {
        stopping.set(true);
    }

    void stop(@Observes ShutdownEvent stopping) {
        this.stopping.set(true);
        if (subscriber != null) {
            subscriber.closeAndForget();
        }
    }

    /** Events landed on this instance: promote now rather than at the next sweep. */
    void landed(@Observes Landed landed) {
        wake();
    }

    @Scheduled(every = "${sluice.promotion.sweep-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        wake();
    }

    @Scheduled(every = "${sluice.promotion.lag-refresh}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> refreshLag() {
        return pool.query(LAG).execute()
                .invoke(rows -> metrics.promotionLag(Duration.ofMillis(rows.iterator().next().getLong("lag_ms"))))
                .onFailure().invoke(e -> Log.debugf("promotion lag not refreshed: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /** Starts a drain unless one is running; a wake-up during a drain makes it go round once more. */
    void wake() {
        if (!config.enabled() || stopping.get()) {
            return;
        }
        wanted.set(true);
        if (!running.compareAndSet(false, true)) {
            return;
        }
        wanted.set(false);
        drain().onFailure().invoke(e -> Log.warnf("promotion paused, the next sweep retries: %s", e.toString()))
                .onFailure().recoverWithNull()
                .subscribe().with(done -> {
                    running.set(false);
                    if (wanted.get()) {
                        wake();
                    }
                });
    }

    /**
     * Promotes batches until a round finds less than a full batch, with {@code concurrency} rounds in flight (each
     * claims its own items). Fails on a persistent database failure.
     */
    public Uni<Void> drain() {
        if (config.concurrency() <= 1) {
            return rounds();
        }
        List<Uni<Void>> lanes = new ArrayList<>();
        for (int i = 0; i < config.concurrency(); i++) {
            lanes.add(rounds());
        }
        return Uni.combine().all().unis(lanes).collectFailures().discardItems();
    }

    /** One lane of a drain: rounds one after the other until one finds less than a full batch. */
    private Uni<Void> rounds() {
        return bounded(round.run(List.of()))
                .map(PromotionRound.Outcome::claimed)
                .onFailure(BatchFailedException.class)
                .recoverWithUni(failure -> isolate((BatchFailedException) failure))
                .chain(claimed -> claimed >= config.batchSize() ? rounds() : Uni.createFrom().voidItem());
    }

    /**
     * A round that PostgreSQL leaves unanswered (a hung server, a lock held elsewhere) ends the drain after
     * {@code sluice.promotion.round-timeout} with a log line and a stall meter, so the promoter never waits forever;
     * the next sweep starts again (the abandoned transaction commits or rolls back on its own, claims are SKIP LOCKED).
     */
    private <T> Uni<T> bounded(Uni<T> work) {
        return work.ifNoItem().after(config.roundTimeout()).failWith(() -> {
            metrics.databaseStall("promotion");
            Log.warnf(
                    "promotion round unanswered after %s (PostgreSQL hung or locked): drain ended, next sweep retries",
                    config.roundTimeout());
            return new TimeoutException("promotion round exceeded " + config.roundTimeout());
        });
    }

    /** Splits a failed batch in halves, each promoted on its own, until the bad events fail alone. */
    private Uni<Integer> isolate(BatchFailedException failed) {
        if (!failed.batches().isEmpty()) {
            // the events of landed batches get work items of their own first, then are isolated like any others
            return round.explode(failed.batches())
                    .chain(() -> isolate(new BatchFailedException(failed.items(), List.of(), failed.getCause())));
        }
        Map<Long, WorkItem> items = failed.items();
        if (items.isEmpty()) {
            return Uni.createFrom().failure(failed.getCause());
        }
        if (items.size() == 1) {
            WorkItem only = items.values().iterator().next();
            Log.warnf("bronze %d failed promotion (attempt %d): %s", only.bronzeId(), only.attempts() + 1,
                    failed.getCause().toString());
            return round.fail(List.of(new PromotionRound.Failure(only, failed.getCause().toString())))
                    .replaceWith(1);
        }
        List<Long> ids = new ArrayList<>(items.keySet());
        ids.sort(null);
        List<Long> first = ids.subList(0, ids.size() / 2);
        List<Long> second = ids.subList(ids.size() / 2, ids.size());
        return part(first).chain(() -> part(second)).replaceWith(items.size());
    }

    private Uni<Void> part(List<Long> ids) {
        return bounded(round.run(List.copyOf(ids)))
                .replaceWithVoid()
                .onFailure(BatchFailedException.class)
                .recoverWithUni(failure -> isolate((BatchFailedException) failure).replaceWithVoid());
    }
}
