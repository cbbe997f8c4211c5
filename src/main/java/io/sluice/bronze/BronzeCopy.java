package io.sluice.bronze;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
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

    /** COPY's text format: fields split by tabs, a backslash escapes (as in the COPY baseline of bench/). */
    private static final String COPY = "COPY bronze.events (id, event_id, event_type, channel, source, payload, "
            + "headers, payload_hash) FROM STDIN";
    /** Bytes sent to COPY per CopyData message. */
    private static final int BLOCK_BYTES = 64 * 1024;

    /**
     * One accepted line, encoded once by the thread that read it as its COPY text row but the id (which needs the
     * chunk's batch id): the landing thread only prefixes ids and streams the bytes.
     */
    public static final class Row {

        private final byte[] tail;
        private final int length;

        private Row(byte[] tail, int length) {
            this.tail = tail;
            this.length = length;
        }

        /** A row of channel {@code file}; the payload is its compact JSON bytes, the hash their SHA-256 in hex. */
        public static Row of(String eventId, String eventType, String source, byte[] payloadJson, String headersJson,
                String payloadHashHex) {
            return new TextRow(payloadJson.length + headersJson.length() + 200).field(eventId).field(eventType)
                    .field("file").field(source).field(payloadJson).field(headersJson).bytea(payloadHashHex).row();
        }
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

        /** Streams the chunk's rows to COPY in blocks: PostgreSQL parses a block while the next one is filled. */
        private void copyRows(long batchId, List<Row> rows) throws SQLException {
            CopyIn in = copy.copyIn(COPY);
            try {
                byte[] block = new byte[BLOCK_BYTES];
                int used = 0;
                for (int ordinal = 0; ordinal < rows.size(); ordinal++) {
                    byte[] id = Long.toString(batchId * MAX_CHUNK_ROWS + ordinal).getBytes(StandardCharsets.US_ASCII);
                    Row row = rows.get(ordinal);
                    if (used + id.length + row.length > block.length) {
                        in.writeToCopy(block, 0, used);
                        used = 0;
                        if (id.length + row.length > block.length) {
                            block = new byte[id.length + row.length];
                        }
                    }
                    System.arraycopy(id, 0, block, used, id.length);
                    System.arraycopy(row.tail, 0, block, used + id.length, row.length);
                    used += id.length + row.length;
                }
                in.writeToCopy(block, 0, used);
                in.endCopy();
            } finally {
                if (in.isActive()) {
                    in.cancelCopy();
                }
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

    /**
     * A COPY text row being written: each field after a tab (the id goes first, written by the landing thread), with
     * backslash, tab, newline and carriage return escaped; the row ends with a newline.
     */
    private static final class TextRow {

        private byte[] bytes;
        private int length;

        TextRow(int capacity) {
            bytes = new byte[capacity];
        }

        TextRow field(String value) {
            return field(value.getBytes(StandardCharsets.UTF_8));
        }

        TextRow field(byte[] value) {
            ensure(1 + value.length);
            bytes[length++] = '\t';
            for (int i = 0; i < value.length; i++) {
                byte b = value[i];
                byte escape = switch (b) {
                    case '\\' -> '\\';
                    case '\t' -> 't';
                    case '\n' -> 'n';
                    case '\r' -> 'r';
                    default -> 0;
                };
                if (escape == 0) {
                    bytes[length++] = b;
                } else {
                    ensure(1 + value.length - i);
                    bytes[length++] = '\\';
                    bytes[length++] = escape;
                }
            }
            return this;
        }

        /** A bytea from its hex digits: {@code \\x...}, the backslash escaped. */
        TextRow bytea(String hex) {
            ensure(4 + hex.length());
            bytes[length++] = '\t';
            bytes[length++] = '\\';
            bytes[length++] = '\\';
            bytes[length++] = 'x';
            for (int i = 0; i < hex.length(); i++) {
                bytes[length++] = (byte) hex.charAt(i);
            }
            return this;
        }

        /** Ends the row with its newline. */
        Row row() {
            ensure(1);
            bytes[length++] = '\n';
            return new Row(bytes, length);
        }

        private void ensure(int more) {
            if (length + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
            }
        }
    }

    /** One rejected line for bronze.rejected_events; its line number is in {@code headersJson}. */
    public record RejectedLine(String eventId, String eventType, String source, String payloadJson,
            String headersJson, String violationsJson, String reason) {
    }
}
