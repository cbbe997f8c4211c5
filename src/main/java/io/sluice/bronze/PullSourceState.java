package io.sluice.bronze;

import java.time.OffsetDateTime;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/**
 * A pull source's cursor and status ({@code bronze.pull_sources}). Read and edited by operators as an object
 * ({@link PullSourceStore}); the puller moves the cursor with SQL in the transaction that lands the page
 * ({@link PullCursors}), because Hibernate Reactive cannot share that Vert.x connection. Never an API model.
 */
@Entity
@Table(schema = "bronze", name = "pull_sources")
public class PullSourceState extends PanacheEntityBase {

    @Id
    public String name;

    public String cursor;

    @Column(name = "page_hash")
    public String pageHash;

    @Column(name = "cursor_updated_at")
    public OffsetDateTime cursorUpdatedAt;

    @Column(name = "last_success_at")
    public OffsetDateTime lastSuccessAt;

    @Column(name = "last_error")
    public String lastError;

    @Column(name = "last_error_at")
    public OffsetDateTime lastErrorAt;

    public boolean failing;

    public long events;

    public long pages;

    @Version
    public long version;
}
