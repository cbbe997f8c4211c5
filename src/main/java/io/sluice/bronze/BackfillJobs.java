package io.sluice.bronze;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;

/** Backfill jobs as objects (Hibernate Reactive Panache): created, listed, finished, interrupted, resumed. */
@ApplicationScoped
public class BackfillJobs {

    @WithTransaction
    public Uni<BackfillJob> create(String source, String format) {
        BackfillJob job = new BackfillJob();
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        job.source = source;
        job.format = format;
        job.state = BackfillJob.RUNNING;
        job.startedAt = now;
        job.updatedAt = now;
        return job.<BackfillJob>persist();
    }

    @WithSession
    public Uni<Optional<BackfillJob>> find(long id) {
        return BackfillJob.<BackfillJob>findById(id).map(Optional::ofNullable);
    }

    @WithSession
    public Uni<List<BackfillJob>> newest(int limit) {
        return BackfillJob.<BackfillJob>findAll(Sort.descending("id")).page(Page.ofSize(limit)).list();
    }

    @WithSession
    public Uni<List<BackfillJob>> running() {
        return BackfillJob.list("state", BackfillJob.RUNNING);
    }

    /** Ends a running job: completed, or failed with the reason. Its counters are those of its last chunk. */
    @WithTransaction
    public Uni<Optional<BackfillJob>> finish(long id, String state, String error) {
        return BackfillJob.<BackfillJob>findById(id, LockModeType.PESSIMISTIC_WRITE).map(job -> {
            if (job == null) {
                return Optional.empty();
            }
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            job.state = state;
            job.error = error;
            job.updatedAt = now;
            job.finishedAt = now;
            return Optional.of(job);
        });
    }

    /**
     * Takes an interrupted or failed job back to running for a resume; empty when it is not resumable (running
     * elsewhere, completed, unknown).
     */
    @WithTransaction
    public Uni<Optional<BackfillJob>> resume(long id) {
        return BackfillJob.<BackfillJob>findById(id, LockModeType.PESSIMISTIC_WRITE).map(job -> {
            if (job == null || !(BackfillJob.INTERRUPTED.equals(job.state) || BackfillJob.FAILED.equals(job.state))) {
                return Optional.empty();
            }
            job.state = BackfillJob.RUNNING;
            job.error = null;
            job.finishedAt = null;
            job.updatedAt = OffsetDateTime.now(ZoneOffset.UTC);
            return Optional.of(job);
        });
    }

    /** Marks the given running jobs interrupted (their runner is gone); answers how many changed. */
    @WithTransaction
    public Uni<Integer> interrupt(List<Long> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return BackfillJob.update("state = ?1, updatedAt = ?2, error = ?3 where id in ?4 and state = ?5",
                BackfillJob.INTERRUPTED, OffsetDateTime.now(ZoneOffset.UTC),
                "the instance running it stopped before the end of the file", ids, BackfillJob.RUNNING);
    }
}
