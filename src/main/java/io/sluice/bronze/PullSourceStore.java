package io.sluice.bronze;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;

/** Pull sources' state as objects (Hibernate Reactive Panache): the operators' view and their cursor edits. */
@ApplicationScoped
public class PullSourceStore {

    @WithSession
    public Uni<List<PullSourceState>> all() {
        return PullSourceState.listAll(Sort.by("name"));
    }

    /**
     * Rewinds or skips a source: sets its cursor (null: the API's beginning) and clears the failing flag, so the
     * puller's next attempt starts there. Waits for a page in flight (row lock), so the edit is never overwritten.
     */
    @WithTransaction
    public Uni<Optional<PullSourceState>> moveCursor(String name, String cursor) {
        return PullSourceState.<PullSourceState>findById(name, LockModeType.PESSIMISTIC_WRITE)
                .map(state -> {
                    if (state == null) {
                        return Optional.empty();
                    }
                    state.cursor = cursor;
                    state.pageHash = null;
                    state.cursorUpdatedAt = OffsetDateTime.now(ZoneOffset.UTC);
                    state.failing = false;
                    return Optional.of(state);
                });
    }
}
