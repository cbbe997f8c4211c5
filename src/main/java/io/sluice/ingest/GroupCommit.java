package io.sluice.ingest;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.sluice.bronze.BronzeWriter;
import io.sluice.bronze.BronzeWriter.Delivery;
import io.sluice.bronze.BronzeWriter.Request;
import io.sluice.bronze.DatabaseFailures;
import io.sluice.bronze.Landed;
import io.sluice.config.SluiceConfig;
import io.sluice.metrics.SluiceMetrics;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * Group commit: requests (webhook requests, Kafka batches) that arrive while the landing statements in flight are
 * busy wait here and go together, in arrival order, as one statement, which is its own transaction (one round trip
 * and one commit for all of them). Each request learns its own outcome after that commit. With nothing in flight a
 * request is written at once, so light load pays no added latency; under load each statement carries whatever
 * arrived during the previous one, and a free slot waits at most {@code linger} (2 ms) for more before it starts the
 * next statement, unless {@code linger-below-events} (256) already wait ({@code sluice.bronze.group-commit.*}).
 * <p>
 * One request's refused value never fails the others: when PostgreSQL refuses a group's statement with a data
 * exception, each request of the group is landed on its own, and only the one that fails alone fails.
 */
@ApplicationScoped
public class GroupCommit {

    /** A Kafka or webhook request's landing ends in a claim (true) or a refusal because its delivery was claimed before. */
    private record Pending(Request request, Context context, UniEmitter<? super Boolean> emitter, long arrived) {

        int size() {
            return request.rows().size() + request.rejects().size();
        }

        void complete(boolean claimed) {
            run(() -> emitter.complete(claimed));
        }

        void fail(Throwable failure) {
            run(() -> emitter.fail(failure));
        }

        private void run(Runnable action) {
            if (context == null) {
                action.run();
            } else {
                context.runOnContext(ignored -> action.run());
            }
        }
    }

    private static final long NOTIFY_EVERY_NANOS = Duration.ofMillis(100).toNanos();

    private final BronzeWriter bronze;
    private final Pool pool;
    private final SluiceMetrics metrics;
    private final Event<Landed> landed;
    private final int maxConcurrent;
    private final int maxEvents;
    private final Duration writeTimeout;
    private final long lingerNanos;
    private final int lingerBelowEvents;
    private final Vertx vertx;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private int waitingEvents;
    private boolean timerSet;
    private final AtomicLong lastNotify = new AtomicLong(System.nanoTime() - NOTIFY_EVERY_NANOS);
    private int flushing;

    public GroupCommit(BronzeWriter bronze, Pool pool, SluiceMetrics metrics, Event<Landed> landed,
            SluiceConfig config, Vertx vertx) {
        this.bronze = bronze;
        this.pool = pool;
        this.metrics = metrics;
        this.landed = landed;
        this.maxConcurrent = Math.max(1, config.bronze().groupCommit().maxConcurrent());
        this.maxEvents = Math.max(1, config.bronze().groupCommit().maxEvents());
        this.writeTimeout = config.bronze().writeTimeout();
        this.lingerNanos = config.bronze().groupCommit().linger().toNanos();
        this.lingerBelowEvents = Math.min(maxEvents, Math.max(1, config.bronze().groupCommit().lingerBelowEvents()));
        this.vertx = vertx;
    }

    /**
     * Lands one request with whatever else is waiting. True when it was stored, false when its webhook delivery had
     * been claimed before (nothing of it stored); fails when it is not known to be stored.
     */
    public Uni<Boolean> land(Request request) {
        Uni<Boolean> landing = Uni.createFrom().emitter(emitter -> {
            Pending pending = new Pending(request, Vertx.currentContext(), emitter, System.nanoTime());
            emitter.onTermination(() -> forget(pending));
            synchronized (this) {
                waiting.add(pending);
                waitingEvents += pending.size();
            }
            drain();
        });
        // the bound covers the wait for a free statement too: behind statements that hang, a request is not kept
        return landing.ifNoItem().after(writeTimeout)
                .failWith(() -> new TimeoutException("bronze landing did not finish within " + writeTimeout));
    }

    /** A request that timed out while still waiting is not written any more. */
    private void forget(Pending pending) {
        synchronized (this) {
            if (waiting.remove(pending)) {
                waitingEvents -= pending.size();
            }
        }
    }

    private void drain() {
        while (true) {
            List<Pending> group;
            synchronized (this) {
                if (flushing >= maxConcurrent || waiting.isEmpty() || lingering()) {
                    return;
                }
                group = take();
                flushing++;
            }
            flush(group);
        }
    }

    /**
     * While a statement is in flight, a free slot waits (at most {@code linger}, or until {@code max-events} are
     * waiting) so that the next statement carries more than the first request that comes: fewer, larger statements
     * cost PostgreSQL less per event. With nothing in flight, or {@code linger-below-events} already waiting (a Kafka
     * poll is hundreds of records), the next statement starts at once.
     */
    private boolean lingering() {
        if (flushing == 0 || waitingEvents >= lingerBelowEvents || lingerNanos <= 0) {
            return false;
        }
        long waited = System.nanoTime() - waiting.peekFirst().arrived();
        if (waited >= lingerNanos) {
            return false;
        }
        if (!timerSet) {
            timerSet = true;
            long millis = Math.max(1, (lingerNanos - waited) / 1_000_000);
            vertx.setTimer(millis, id -> {
                synchronized (this) {
                    timerSet = false;
                }
                drain();
            });
        }
        return true;
    }

    /**
     * The next group, in arrival order: up to {@code maxEvents} (at least one request); a request whose delivery is
     * already in the group waits for the next one, so a statement never claims one webhook-id twice.
     */
    private List<Pending> take() {
        List<Pending> group = new ArrayList<>();
        Set<Delivery> deliveries = new HashSet<>();
        int events = 0;
        for (Iterator<Pending> it = waiting.iterator(); it.hasNext();) {
            Pending next = it.next();
            int size = next.size();
            if (!group.isEmpty() && events + size > maxEvents) {
                break;
            }
            if (next.request().delivery().isPresent() && !deliveries.add(key(next.request().delivery().get()))) {
                continue;
            }
            it.remove();
            group.add(next);
            events += size;
            waitingEvents -= size;
        }
        return group;
    }

    private static Delivery key(Delivery delivery) {
        return new Delivery(delivery.partner(), delivery.webhookId(), 0, null);
    }

    private void flush(List<Pending> group) {
        List<Request> requests = group.stream().map(Pending::request).toList();
        int events = requests.stream().mapToInt(r -> r.rows().size()).sum();
        write(requests).subscribe().with(refused -> {
            finished();
            metrics.bronzeBatch(events + requests.stream().mapToInt(r -> r.rejects().size()).sum());
            for (int i = 0; i < group.size(); i++) {
                group.get(i).complete(!refused.contains(i));
            }
            if (events > 0) {
                signal(events);
            }
        }, failure -> {
            finished();
            if (group.size() > 1 && DatabaseFailures.isDataException(failure)) {
                Log.debugf("a landing group of %d requests was refused (%s); landing each alone", group.size(),
                        failure.getMessage());
                group.forEach(this::alone);
            } else {
                group.forEach(pending -> pending.fail(failure));
            }
        });
    }

    /** One request on its own statement, after its group was refused; only its own failure reaches it. */
    private void alone(Pending pending) {
        write(List.of(pending.request())).subscribe().with(refused -> {
            pending.complete(refused.isEmpty());
            if (refused.isEmpty() && !pending.request().rows().isEmpty()) {
                signal(pending.request().rows().size());
            }
        }, pending::fail);
    }

    private Uni<Set<Integer>> write(List<Request> requests) {
        return bronze.land(pool, requests)
                .ifNoItem().after(writeTimeout)
                .failWith(() -> new TimeoutException("bronze landing did not finish within " + writeTimeout));
    }

    private void finished() {
        synchronized (this) {
            flushing--;
        }
        drain();
    }

    /**
     * Tells this instance's promoters at once (a CDI event) and the other instances' through a NOTIFY sent on its
     * own, at most every 100 ms: a NOTIFY inside the landing transaction would serialise every commit.
     */
    private void signal(int events) {
        landed.fire(new Landed(events));
        long now = System.nanoTime();
        long last = lastNotify.get();
        if (now - last >= NOTIFY_EVERY_NANOS && lastNotify.compareAndSet(last, now)) {
            pool.query("SELECT pg_notify('" + BronzeWriter.NOTIFY_CHANNEL + "', '')").execute()
                    .subscribe().with(ignored -> {
                    }, e -> Log.debugf("landing notification not sent (the promoters' sweep covers it): %s",
                            e.toString()));
        }
    }
}
