package io.sluice.bronze;

import java.time.OffsetDateTime;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/**
 * One backfill upload ({@code bronze.backfill_jobs}): created, finished and resumed as an object through
 * {@link BackfillJobs}; its counters move with SQL in each chunk's JDBC transaction ({@link BronzeCopy}). Never an
 * API model.
 */
@Entity
@Table(schema = "bronze", name = "backfill_jobs")
public class BackfillJob extends PanacheEntityBase {

    public static final String RUNNING = "running";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
    public static final String INTERRUPTED = "interrupted";

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    public String source;

    public String format;

    public String state;

    public long lines;

    public long accepted;

    public long duplicates;

    public long rejected;

    public long bytes;

    public int chunks;

    public String error;

    @Column(name = "started_at")
    public OffsetDateTime startedAt;

    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;

    @Column(name = "finished_at")
    public OffsetDateTime finishedAt;

    @Version
    public long version;
}
