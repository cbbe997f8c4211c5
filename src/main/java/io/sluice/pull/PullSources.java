package io.sluice.pull;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.sluice.bronze.PullCursors;
import io.sluice.bronze.PullSourceState;
import io.sluice.bronze.PullSourceStore;
import io.sluice.config.SluiceConfig;
import io.sluice.event.EventDecoder;
import io.sluice.ingest.IngestPipeline;
import io.sluice.metrics.SluiceMetrics;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * The pull door (SPEC.md section 11): one loop per configured source in this instance. A loop pulls pages back to
 * back while the API has more, waits {@code interval} when caught up, backs off with jitter after 429/5xx/timeouts
 * (honouring {@code Retry-After}) and after 4xx (the source is then failing, retried at the backoff's pace until it
 * recovers). Which instance pulls is decided by PostgreSQL (the source row's lock), never here; one source's
 * trouble never touches another's loop.
 */
@ApplicationScoped
public class PullSources {

    private final SluiceConfig.Pull config;
    private final Map<String, SourcePuller> pullers = new LinkedHashMap<>();
    private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    private final Map<String, double[]> gauges = new ConcurrentHashMap<>();
    private final PullCursors cursors;
    private final PullSourceStore store;
    private final PullBackoff backoff;
    private final Clock clock;
    private final SluiceMetrics metrics;
    private ScheduledExecutorService scheduler;
    private volatile boolean stopping;

    public PullSources(SluiceConfig config, Pool pool, PullCursors cursors, PullSourceStore store,
            IngestPipeline pipeline, EventDecoder decoder, SluiceMetrics metrics, Clock clock) {
        this.config = config.pull();
        this.cursors = cursors;
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
        this.backoff = new PullBackoff(this.config.initialBackoff(), this.config.maxBackoff(),
                () -> ThreadLocalRandom.current().nextDouble());
        this.config.sources().forEach((name, source) -> pullers.put(name, new SourcePuller(name, source,
                new PageClient(name, source, clock), pool, cursors, pipeline, decoder, metrics,
                config.limits().maxBatchEvents())));
    }

    void start(@Observes StartupEvent event) {
        pullers.keySet().forEach(this::registerGauges);
        if (!config.enabled() || pullers.isEmpty()) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-pull");
            thread.setDaemon(true);
            return thread;
        });
        for (SourcePuller puller : pullers.values()) {
            cursors.ensure(puller.name(), puller.source().startCursor())
                    .subscribe().with(ok -> schedule(puller, Duration.ZERO),
                            failure -> {
                                Log.warnf("pull source %s: could not create its row (%s); retrying", puller.name(),
                                        failure.getMessage());
                                schedule(puller, config.initialBackoff(), true);
                            });
        }
        Log.infof("pulling sources %s", pullers.keySet());
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    private void schedule(SourcePuller puller, Duration delay) {
        schedule(puller, delay, false);
    }

    private void schedule(SourcePuller puller, Duration delay, boolean ensureFirst) {
        if (stopping) {
            return;
        }
        scheduler.schedule(() -> {
            Uni<SourcePuller.Result> run = ensureFirst
                    ? cursors.ensure(puller.name(), puller.source().startCursor()).chain(puller::pullOnce)
                    : puller.pullOnce();
            run.subscribe().with(result -> schedule(puller, delayAfter(puller, result)),
                    failure -> {
                        Log.warnf("pull source %s: %s", puller.name(), failure.toString());
                        schedule(puller, delayAfter(puller,
                                SourcePuller.Result.of(SourcePuller.Outcome.RETRY)), ensureFirst);
                    });
        }, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private Duration delayAfter(SourcePuller puller, SourcePuller.Result result) {
        AtomicInteger failed = failures.computeIfAbsent(puller.name(), n -> new AtomicInteger());
        return switch (result.outcome()) {
            case MORE -> {
                failed.set(0);
                yield Duration.ZERO;
            }
            case CAUGHT_UP, BUSY -> {
                failed.set(0);
                yield puller.source().interval();
            }
            case RETRY, FAILED -> backoff.delay(failed.incrementAndGet(), result.retryAfter());
        };
    }

    /** Pulls one page of a source now, as any instance would (tests drive the lock with it). */
    public Uni<String> pullOnce(String name) {
        SourcePuller puller = pullers.get(name);
        if (puller == null) {
            return Uni.createFrom().failure(new IllegalArgumentException("no pull source " + name));
        }
        return puller.pullOnce().map(result -> result.outcome().name().toLowerCase());
    }

    private void registerGauges(String name) {
        double[] values = gauges.computeIfAbsent(name, n -> new double[]{0, 0, 0});
        metrics.pullSource(name, () -> values[0], () -> values[1], () -> values[2]);
    }

    /** Refreshes every source's gauges from the table (one query; every instance reports the same values). */
    @Scheduled(every = "${sluice.pull.status-refresh:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> refreshGauges() {
        if (pullers.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return store.all().invoke(states -> {
            OffsetDateTime now = OffsetDateTime.now(clock);
            for (PullSourceState state : states) {
                double[] values = gauges.get(state.name);
                if (values == null) {
                    continue;
                }
                values[0] = Optional.ofNullable(state.lastSuccessAt).map(t -> t.toEpochSecond() * 1.0).orElse(0.0);
                values[1] = Optional.ofNullable(state.cursorUpdatedAt)
                        .map(t -> Duration.between(t, now).toMillis() / 1000.0).orElse(0.0);
                values[2] = state.failing ? 1 : 0;
            }
        }).replaceWithVoid()
                .onFailure().recoverWithItem(failure -> {
                    Log.debugf("pull gauges not refreshed: %s", failure.getMessage());
                    return null;
                });
    }
}
