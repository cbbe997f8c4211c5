package io.sluice.backfill;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.sluice.bronze.BackfillJobs;
import io.sluice.bronze.BronzeCopy;

/**
 * Marks {@code interrupted} the running backfill jobs whose runner is gone (its instance crashed or was killed): at
 * start-up and every minute, a running job whose advisory lock nobody holds and whose last chunk is older than
 * {@link #GRACE} has no runner. Such a job can be resumed ({@code POST /v1/admin/backfills/{id}/resume}).
 */
@ApplicationScoped
public class Interruptions {

    static final Duration GRACE = Duration.ofSeconds(30);

    private final BackfillJobs jobs;
    private final BronzeCopy copy;

    public Interruptions(BackfillJobs jobs, BronzeCopy copy) {
        this.jobs = jobs;
        this.copy = copy;
    }

    /**
     * Runs on a Vert.x context (a scheduled method that returns a {@link Uni} is not given a worker thread), so no
     * thread waits on Hibernate Reactive or PostgreSQL meanwhile.
     */
    @Scheduled(every = "60s", delay = 5, delayUnit = java.util.concurrent.TimeUnit.SECONDS, concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sweep() {
        return markOrphans()
                .invoke(marked -> {
                    if (marked > 0) {
                        Log.warnf("%d backfill job(s) had no runner any more and are now interrupted", marked);
                    }
                })
                .onFailure().invoke(e -> Log.debugf("backfill interruption sweep skipped: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /** Answers how many jobs it marked. Needs a Vert.x context (Hibernate Reactive's session). */
    public Uni<Integer> markOrphans() {
        OffsetDateTime quiet = OffsetDateTime.now(ZoneOffset.UTC).minus(GRACE);
        return jobs.running()
                .map(running -> running.stream().filter(job -> job.updatedAt.isBefore(quiet)).map(job -> job.id)
                        .toList())
                .chain(this::withoutRunner)
                .chain(orphans -> orphans.isEmpty() ? Uni.createFrom().item(0) : jobs.interrupt(orphans));
    }

    private Uni<List<Long>> withoutRunner(List<Long> quietJobs) {
        return Multi.createFrom().iterable(quietJobs)
                .onItem().transformToUniAndConcatenate(id -> copy.runnerAlive(id).map(alive -> alive ? -1L : id))
                .filter(id -> id >= 0)
                .collect().asList();
    }
}
