package io.sluice.backfill;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import io.sluice.bronze.BackfillJob;

/**
 * A backfill job as the admin API shows it (never the entity). {@code rate} is lines per second over the job's
 * running time so far (from start to finish, or to its last chunk while running).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record BackfillView(long id, String source, String format, String state, long lines, long accepted,
        long duplicates, long rejected, long bytes, double rate, int chunks,
        @JsonInclude(JsonInclude.Include.NON_NULL) String error, OffsetDateTime startedAt, OffsetDateTime updatedAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) OffsetDateTime finishedAt) {

    static BackfillView of(BackfillJob job) {
        OffsetDateTime end = job.finishedAt != null ? job.finishedAt : job.updatedAt;
        double seconds = end == null ? 0 : Duration.between(job.startedAt, end).toMillis() / 1000.0;
        double rate = seconds <= 0 ? 0 : Math.round(job.lines / seconds * 10) / 10.0;
        return new BackfillView(job.id, job.source, job.format, job.state, job.lines, job.accepted, job.duplicates,
                job.rejected, job.bytes, rate, job.chunks, job.error, job.startedAt, job.updatedAt, job.finishedAt);
    }

    /** A page of jobs, newest first. */
    public record Page(List<BackfillView> items) {
    }
}
