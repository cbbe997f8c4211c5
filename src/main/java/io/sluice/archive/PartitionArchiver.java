package io.sluice.archive;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.logging.Log;
import io.sluice.config.SluiceConfig;

/**
 * Exports one bronze partition to the archive and proves the copy (SPEC.md section 12). Blocking (JDBC and file or
 * HTTP I/O): run it on a worker thread. The rows are streamed with a server-side cursor
 * ({@code sluice.archive.fetch-size} rows per round trip) into a gzip NDJSON file, one row per line with every
 * column (the payload and the headers as received, the channel, source, Kafka coordinates, the payload hash); the
 * file is uploaded with its manifest; then the object is read back, and its SHA-256, its NDJSON's SHA-256 and its
 * line count must equal what was written. Only then is the export recorded in {@code bronze.partition_archives},
 * which {@code bronze.drop_archived_partition} requires before it drops the partition. Memory is one fetch of rows
 * and the stream buffers, whatever the partition's size.
 */
@ApplicationScoped
public class PartitionArchiver {

    private static final Pattern PARTITION = Pattern.compile("events_\\d{8}");
    private static final int BUFFER = 64 * 1024;

    private final DataSource dataSource;
    private final Archives archives;
    private final ObjectMapper mapper;
    private final SluiceConfig.Archive config;

    public PartitionArchiver(DataSource dataSource, Archives archives, ObjectMapper mapper, SluiceConfig config) {
        this.dataSource = dataSource;
        this.archives = archives;
        this.mapper = mapper;
        this.config = config.archive();
    }

    /** Whether retention archives before it drops. */
    public boolean enabled() {
        return archives.store().isPresent();
    }

    /**
     * Exports and verifies one partition; empty when another instance is exporting it right now (skipped, not
     * failed). Throws when the export could not be written or did not verify: nothing is recorded, so the partition
     * cannot be dropped.
     */
    public Optional<Manifest> archive(String partition) throws ArchiveException {
        if (!PARTITION.matcher(partition).matches()) {
            throw new IllegalArgumentException("not a bronze partition: " + partition);
        }
        ArchiveStore store = archives.store().orElseThrow(() -> new IllegalStateException("archive is off"));
        String objectKey = archives.objectKey(partition);
        String manifestKey = Manifest.keyOf(objectKey);
        Path file = null;
        try (Connection connection = dataSource.getConnection()) {
            if (!tryLock(connection, partition)) {
                Log.infof("archive of %s is running on another instance; skipped", partition);
                return Optional.empty();
            }
            try {
                file = config.workDirectory().filter(d -> !d.isBlank())
                        .map(d -> createTemp(Path.of(d), partition))
                        .orElseGet(() -> createTemp(null, partition));
                Written written = export(connection, partition, file);
                String schemaVersion = schemaVersion(connection);
                Manifest manifest = new Manifest(Manifest.FORMAT, partition, objectKey, written.rows,
                        Files.size(file), written.sha256, written.ndjsonSha256, written.minReceivedAt,
                        written.maxReceivedAt, written.minId, written.maxId, schemaVersion,
                        OffsetDateTime.now(ZoneOffset.UTC));
                store.put(objectKey, file, "application/gzip");
                store.put(manifestKey, mapper.writeValueAsBytes(manifest), "application/json");
                verify(store, objectKey, manifestKey, manifest);
                record(connection, manifest, store.location(objectKey));
                Log.infof("archived bronze.%s: %d rows, %d bytes, sha256 %s, at %s", partition, manifest.rows(),
                        manifest.bytes(), manifest.sha256(), store.location(objectKey));
                return Optional.of(manifest);
            } finally {
                unlock(connection, partition);
            }
        } catch (SQLException | IOException | RuntimeException e) {
            throw new ArchiveException("archive of bronze." + partition + " to " + store.location(objectKey)
                    + " failed: " + e.getMessage(), e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    Log.warnf("could not delete the export file %s: %s", file, e.toString());
                }
            }
        }
    }

    /**
     * Checks an archived object against its manifest before it is replayed: both read in full, streamed. Throws
     * {@link java.nio.file.NoSuchFileException} when either is missing, {@link ArchiveException} when they differ.
     */
    public Manifest verifyArchived(String objectKey) throws IOException, ArchiveException {
        ArchiveStore store = archives.store().orElseThrow(() -> new IllegalStateException("archive is off"));
        String manifestKey = Manifest.keyOf(objectKey);
        Manifest manifest;
        try (InputStream in = store.open(manifestKey)) {
            manifest = mapper.readValue(in, Manifest.class);
        }
        verify(store, objectKey, manifestKey, manifest);
        return manifest;
    }

    /** Opens an archived object (gzip) for reading. */
    public InputStream open(String objectKey) throws IOException {
        return archives.store().orElseThrow(() -> new IllegalStateException("archive is off")).open(objectKey);
    }

    private static Path createTemp(Path directory, String partition) {
        try {
            return directory == null
                    ? Files.createTempFile("sluice-" + partition + "-", ArchiveKeys.OBJECT_SUFFIX)
                    : Files.createTempFile(Files.createDirectories(directory), "sluice-" + partition + "-",
                            ArchiveKeys.OBJECT_SUFFIX);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static final class Written {

        long rows;
        String sha256;
        String ndjsonSha256;
        OffsetDateTime minReceivedAt;
        OffsetDateTime maxReceivedAt;
        Long minId;
        Long maxId;
    }

    /** Streams the partition, ordered by id, into the gzip file through a cursor (one transaction, read only). */
    private Written export(Connection connection, String partition, Path file) throws SQLException, IOException {
        Written written = new Written();
        MessageDigest stored = sha256();
        MessageDigest ndjson = sha256();
        connection.setAutoCommit(false);
        try (OutputStream out = new DigestOutputStream(new GZIPOutputStream(new DigestOutputStream(
                new BufferedOutputStream(Files.newOutputStream(file), BUFFER), stored), BUFFER), ndjson)) {
            try (Statement session = connection.createStatement()) {
                session.execute("SET TRANSACTION READ ONLY");
                session.execute("SET LOCAL TIME ZONE 'UTC'");
            }
            try (PreparedStatement query = connection.prepareStatement("""
                    SELECT id, received_at, json_build_object(
                        'id', id, 'event_id', event_id, 'event_type', event_type, 'channel', channel,
                        'source', source, 'received_at', received_at, 'payload', payload, 'headers', headers,
                        'kafka_topic', kafka_topic, 'kafka_partition', kafka_partition, 'kafka_offset', kafka_offset,
                        'payload_hash', encode(payload_hash, 'hex'))::text AS line
                    FROM bronze.""" + partition + " ORDER BY id")) {
                query.setFetchSize(Math.max(config.fetchSize(), 1));
                try (ResultSet rs = query.executeQuery()) {
                    while (rs.next()) {
                        long id = rs.getLong(1);
                        OffsetDateTime receivedAt = rs.getObject(2, OffsetDateTime.class);
                        out.write(rs.getString(3).getBytes(StandardCharsets.UTF_8));
                        out.write('\n');
                        written.rows++;
                        written.minId = written.minId == null ? id : Math.min(written.minId, id);
                        written.maxId = written.maxId == null ? id : Math.max(written.maxId, id);
                        if (written.minReceivedAt == null || receivedAt.isBefore(written.minReceivedAt)) {
                            written.minReceivedAt = receivedAt;
                        }
                        if (written.maxReceivedAt == null || receivedAt.isAfter(written.maxReceivedAt)) {
                            written.maxReceivedAt = receivedAt;
                        }
                    }
                }
            }
        } finally {
            connection.rollback();
            connection.setAutoCommit(true);
        }
        written.sha256 = HexFormat.of().formatHex(stored.digest());
        written.ndjsonSha256 = HexFormat.of().formatHex(ndjson.digest());
        return written;
    }

    /** Reads the object and its manifest back from the store; throws unless both are exactly what was written. */
    private void verify(ArchiveStore store, String objectKey, String manifestKey, Manifest manifest)
            throws IOException, ArchiveException {
        MessageDigest stored = sha256();
        MessageDigest ndjson = sha256();
        long lines = 0;
        long bytes;
        byte[] buffer = new byte[BUFFER];
        try (InputStream raw = store.open(objectKey)) {
            CountingInput counted = new CountingInput(new DigestInputStream(new BufferedInputStream(raw, BUFFER),
                    stored));
            try (InputStream plain = new DigestInputStream(new GZIPInputStream(counted, BUFFER), ndjson)) {
                int n;
                while ((n = plain.read(buffer)) > 0) {
                    for (int i = 0; i < n; i++) {
                        if (buffer[i] == '\n') {
                            lines++;
                        }
                    }
                }
                while (counted.read(buffer) >= 0) {
                    // anything after the gzip trailer still counts in the object's checksum
                }
            }
            bytes = counted.count;
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new ArchiveException("read back of " + store.location(objectKey) + " is not whole gzip: "
                    + e.getMessage(), e);
        }
        String sha = HexFormat.of().formatHex(stored.digest());
        String ndjsonSha = HexFormat.of().formatHex(ndjson.digest());
        if (lines != manifest.rows() || bytes != manifest.bytes() || !sha.equals(manifest.sha256())
                || !ndjsonSha.equals(manifest.ndjsonSha256())) {
            throw new ArchiveException("read back of " + store.location(objectKey) + " does not match: " + lines
                    + " rows, " + bytes + " bytes, sha256 " + sha + "; expected " + manifest.rows() + " rows, "
                    + manifest.bytes() + " bytes, sha256 " + manifest.sha256());
        }
        Manifest back;
        try (InputStream in = store.open(manifestKey)) {
            back = mapper.readValue(in, Manifest.class);
        }
        if (!Objects.equals(back.sha256(), manifest.sha256()) || back.rows() != manifest.rows()
                || !Objects.equals(back.object(), manifest.object())) {
            throw new ArchiveException("read back of the manifest " + store.location(manifestKey)
                    + " does not match the export");
        }
    }

    private static void record(Connection connection, Manifest manifest, String location) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO bronze.partition_archives (partition, object_key, location, rows, bytes, sha256,
                    min_received_at, max_received_at, min_id, max_id, schema_version, verified_at, dropped_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), NULL)
                ON CONFLICT (partition) DO UPDATE SET object_key = excluded.object_key, location = excluded.location,
                    rows = excluded.rows, bytes = excluded.bytes, sha256 = excluded.sha256,
                    min_received_at = excluded.min_received_at, max_received_at = excluded.max_received_at,
                    min_id = excluded.min_id, max_id = excluded.max_id, schema_version = excluded.schema_version,
                    verified_at = now(), dropped_at = NULL
                """)) {
            insert.setString(1, manifest.partition());
            insert.setString(2, manifest.object());
            insert.setString(3, location);
            insert.setLong(4, manifest.rows());
            insert.setLong(5, manifest.bytes());
            insert.setString(6, manifest.sha256());
            insert.setObject(7, manifest.minReceivedAt());
            insert.setObject(8, manifest.maxReceivedAt());
            insert.setObject(9, manifest.minId());
            insert.setObject(10, manifest.maxId());
            insert.setString(11, manifest.schemaVersion());
            insert.executeUpdate();
        }
    }

    private static String schemaVersion(Connection connection) throws SQLException {
        try (Statement query = connection.createStatement();
                ResultSet rs = query.executeQuery("SELECT version FROM flyway_schema_history WHERE success "
                        + "AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1")) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** A session advisory lock per partition: two instances never export the same partition at once. */
    private static boolean tryLock(Connection connection, String partition) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT pg_try_advisory_lock(hashtext('sluice.archive.' || ?))")) {
            lock.setString(1, partition);
            try (ResultSet rs = lock.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static void unlock(Connection connection, String partition) {
        try (PreparedStatement unlock = connection.prepareStatement(
                "SELECT pg_advisory_unlock(hashtext('sluice.archive.' || ?))")) {
            unlock.setString(1, partition);
            unlock.execute();
        } catch (SQLException e) {
            Log.debugf("advisory unlock of the archive of %s: %s", partition, e.toString());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Counts the bytes read through it. */
    private static final class CountingInput extends java.io.FilterInputStream {

        long count;

        CountingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }

}
