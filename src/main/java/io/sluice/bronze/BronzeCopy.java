package io.sluice.bronze;

import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Lands file chunks in bronze with PostgreSQL's COPY (pgjdbc {@link CopyManager}, over the JDBC datasource: the
 * Vert.x client has no COPY), under the landing contract of every door: one {@code batch_id} from
 * {@code bronze.landing_batch_seq} per chunk, row ids {@code batch_id * 65536 + ordinal}, one {@code received_at}
 * (the transaction's {@code now()}), one {@code bronze.promotion_batches} row, the rejected lines, and the job's
 * progress, all in the chunk's transaction. A crash therefore loses at most the chunk in flight, and the job's
 * counters say exactly which lines are durable.
 */
@ApplicationScoped
public class BronzeCopy {

    /** Rows per batch: ids are {@code batch_id * 65536 + ordinal}. */
    public static final int MAX_CHUNK_ROWS = 65536;

    private static final String COPY = "COPY bronze.events (id, event_id, event_type, channel, source, payload, "
            + "headers, payload_hash) FROM STDIN WITH (FORMAT csv)";

    /** One accepted line: payload as compact JSON, SHA-256 of it in hex. */
    public record Row(String eventId, String eventType, String source, String payloadJson, String headersJson,
            String payloadHashHex) {
    }

    /** A job's counters after a chunk (totals, not deltas): written as they are, so a resume starts from them. */
    public record Progress(long lines, long accepted, long duplicates, long rejected, long bytes) {
    }

    /** The chunk's job was taken away from this runner (marked interrupted, or finished elsewhere). */
    public static final class JobLost extends SQLException {

        public JobLost(long jobId) {
            super("backfill job " + jobId + " is no longer running here");
        }
    }

    private final DataSource dataSource;
    private final Pool pool;

    public BronzeCopy(DataSource dataSource, Pool pool) {
        this.dataSource = dataSource;
        this.pool = pool;
    }

    /**
     * Opens a job's writer: one JDBC connection for the whole upload, holding the job's session advisory lock, so
     * {@link #runnerAlive} sees it is running and a crashed runner's lock goes with its connection.
     */
    public Writer open(long jobId) throws SQLException {
        Connection connection = dataSource.getConnection();
        try {
            try (PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_lock(?)")) {
                lock.setLong(1, lockKey(jobId));
                lock.execute();
            }
            connection.setAutoCommit(false);
            return new Writer(connection, jobId);
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
    }

    /**
     * Whether some instance is running the job (holds its advisory lock), asked without blocking a thread: on a
     * connection of the Vert.x pool, the lock is tried and, if it was free, let go again.
     */
    public Uni<Boolean> runnerAlive(long jobId) {
        Tuple key = Tuple.of(lockKey(jobId));
        return pool.withConnection(connection -> connection.preparedQuery("SELECT pg_try_advisory_lock($1) AS free")
                .execute(key)
                .map(rows -> rows.iterator().next().getBoolean("free"))
                .call(free -> free
                        ? connection.preparedQuery("SELECT pg_advisory_unlock($1)").execute(key)
                        : Uni.createFrom().voidItem())
                .map(free -> !free));
    }

    private static long lockKey(long jobId) {
        return 0x5b_ac_f1_11L << 32 | jobId & 0xffff_ffffL;
    }

    /** Writes the chunks of one job on its own connection; not thread-safe. */
    public static final class Writer implements AutoCloseable {

        private final Connection connection;
        private final long jobId;
        private final CopyManager copy;

        Writer(Connection connection, long jobId) throws SQLException {
            this.connection = connection;
            this.jobId = jobId;
            this.copy = connection.unwrap(PGConnection.class).getCopyAPI();
        }

        /** Lands one chunk and the job's progress in one transaction; answers the chunk's batch id (or -1). */
        public long land(List<Row> rows, List<RejectedLine> rejects, Progress progress) throws SQLException {
            if (rows.size() > MAX_CHUNK_ROWS) {
                throw new IllegalArgumentException("a chunk holds at most " + MAX_CHUNK_ROWS + " rows");
            }
            try {
                long batchId = -1;
                if (!rows.isEmpty()) {
                    batchId = nextBatch();
                    copyRows(batchId, rows);
                    try (PreparedStatement batch = connection.prepareStatement(
                            "INSERT INTO bronze.promotion_batches (batch_id, received_at, events) VALUES (?, now(), ?)")) {
                        batch.setLong(1, batchId);
                        batch.setInt(2, rows.size());
                        batch.executeUpdate();
                    }
                }
                reject(rejects);
                progress(progress);
                connection.commit();
                return batchId;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }

        /** Those of the given batches that still wait for promotion. */
        public List<Long> pending(List<Long> batchIds) throws SQLException {
            if (batchIds.isEmpty()) {
                return List.of();
            }
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT batch_id FROM bronze.promotion_batches WHERE batch_id = ANY (?)")) {
                query.setArray(1, connection.createArrayOf("bigint", batchIds.toArray()));
                List<Long> pending = new ArrayList<>();
                try (ResultSet rs = query.executeQuery()) {
                    while (rs.next()) {
                        pending.add(rs.getLong(1));
                    }
                }
                connection.commit();
                return pending;
            }
        }

        private long nextBatch() throws SQLException {
            try (PreparedStatement next = connection.prepareStatement("SELECT nextval('bronze.landing_batch_seq')");
                    ResultSet rs = next.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }

        private void copyRows(long batchId, List<Row> rows) throws SQLException {
            StringBuilder csv = new StringBuilder(rows.size() * 700);
            for (int ordinal = 0; ordinal < rows.size(); ordinal++) {
                Row row = rows.get(ordinal);
                csv.append(batchId * MAX_CHUNK_ROWS + ordinal).append(',');
                quoted(csv, row.eventId()).append(',');
                quoted(csv, row.eventType()).append(",file,");
                quoted(csv, row.source()).append(',');
                quoted(csv, row.payloadJson()).append(',');
                quoted(csv, row.headersJson()).append(",\\x").append(row.payloadHashHex()).append('\n');
            }
            try {
                copy.copyIn(COPY, new StringReader(csv.toString()));
            } catch (IOException e) {
                throw new SQLException("COPY into bronze.events failed", e);
            }
        }

        private void reject(List<RejectedLine> rejects) throws SQLException {
            if (rejects.isEmpty()) {
                return;
            }
            try (PreparedStatement insert = connection.prepareStatement("""
                    INSERT INTO bronze.rejected_events (event_id, event_type, channel, source, payload, headers,
                                                        violations, reason)
                    VALUES (?, ?, 'file', ?, ?::jsonb, ?::jsonb, ?::jsonb, ?)
                    """)) {
                for (RejectedLine line : rejects) {
                    insert.setString(1, line.eventId());
                    insert.setString(2, line.eventType());
                    insert.setString(3, line.source());
                    insert.setString(4, line.payloadJson());
                    insert.setString(5, line.headersJson());
                    insert.setString(6, line.violationsJson());
                    insert.setString(7, line.reason());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }

        private void progress(Progress progress) throws SQLException {
            try (PreparedStatement update = connection.prepareStatement("""
                    UPDATE bronze.backfill_jobs
                    SET lines = ?, accepted = ?, duplicates = ?, rejected = ?, bytes = ?, chunks = chunks + 1,
                        updated_at = now(), version = version + 1
                    WHERE id = ? AND state = 'running'
                    """)) {
                update.setLong(1, progress.lines());
                update.setLong(2, progress.accepted());
                update.setLong(3, progress.duplicates());
                update.setLong(4, progress.rejected());
                update.setLong(5, progress.bytes());
                update.setLong(6, jobId);
                if (update.executeUpdate() != 1) {
                    throw new JobLost(jobId);
                }
            }
        }

        private static StringBuilder quoted(StringBuilder csv, String value) {
            if (value == null) {
                return csv;
            }
            csv.append('"');
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '"') {
                    csv.append('"');
                }
                csv.append(c);
            }
            return csv.append('"');
        }

        @Override
        public void close() throws SQLException {
            try {
                connection.rollback();
                connection.setAutoCommit(true);
                try (PreparedStatement unlock = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                    unlock.setLong(1, lockKey(jobId));
                    unlock.execute();
                }
            } finally {
                connection.close();
            }
        }
    }

    /** One rejected line for bronze.rejected_events; its line number is in {@code headersJson}. */
    public record RejectedLine(String eventId, String eventType, String source, String payloadJson,
            String headersJson, String violationsJson, String reason) {
    }
}
