package io.sluice.backfill;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.vertx.VertxContextSupport;
import io.sluice.bronze.BackfillJob;
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

    @Scheduled(every = "60s", delay = 5, delayUnit = java.util.concurrent.TimeUnit.SECONDS, concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        try {
            int marked = markOrphans();
            if (marked > 0) {
                Log.warnf("%d backfill job(s) had no runner any more and are now interrupted", marked);
            }
        } catch (Throwable e) {
            Log.debugf("backfill interruption sweep skipped: %s", e.toString());
        }
    }

    /** Answers how many jobs it marked. Blocking: call it from a worker thread. */
    public int markOrphans() throws Throwable {
        List<BackfillJob> running = VertxContextSupport.subscribeAndAwait(() -> jobs.running());
        OffsetDateTime quiet = OffsetDateTime.now(ZoneOffset.UTC).minus(GRACE);
        List<Long> orphans = new ArrayList<>();
        for (BackfillJob job : running) {
            if (job.updatedAt.isBefore(quiet) && !copy.runnerAlive(job.id)) {
                orphans.add(job.id);
            }
        }
        return orphans.isEmpty() ? 0 : VertxContextSupport.subscribeAndAwait(() -> jobs.interrupt(orphans));
    }
}
