package io.sluice.archive;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.logging.Log;
import io.quarkus.runtime.Startup;
import io.sluice.config.SluiceConfig;

/**
 * The configured archive target ({@code sluice.archive.target}): a directory, an S3 bucket, or none. Built at
 * startup on the main thread (an S3 client takes seconds to build: never on an event loop), so a wrong target fails
 * the start.
 */
@Startup
@ApplicationScoped
public class Archives {

    private final Optional<ArchiveStore> store;
    private final String prefix;

    public Archives(SluiceConfig config) {
        SluiceConfig.Archive archive = config.archive();
        this.prefix = normalisedPrefix(archive.prefix());
        String target = archive.target().strip().toLowerCase(Locale.ROOT);
        this.store = switch (target) {
            case "none" -> {
                Log.warn("sluice.archive.target=none: retention drops bronze partitions WITHOUT an archive");
                yield Optional.empty();
            }
            case "directory" -> {
                Path root = Path.of(archive.directory()).toAbsolutePath().normalize();
                Log.infof("raw archive: bronze partitions are exported to the directory %s before retention drops "
                        + "them", root);
                yield Optional.of(new DirectoryStore(root));
            }
            case "s3" -> {
                S3Store s3 = new S3Store(archive.s3());
                Log.infof("raw archive: bronze partitions are exported to %s before retention drops them",
                        s3.location(prefix));
                yield Optional.of(s3);
            }
            default -> throw new IllegalStateException(
                    "sluice.archive.target must be directory, s3 or none, not " + archive.target());
        };
    }

    /** The store, when archiving is on. */
    public Optional<ArchiveStore> store() {
        return store;
    }

    /** The key of a partition's archived object. */
    public String objectKey(String partition) {
        return prefix + partition + ArchiveKeys.OBJECT_SUFFIX;
    }

    private static String normalisedPrefix(String prefix) {
        String p = prefix.strip();
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p.isEmpty() || p.endsWith("/") ? p : p + "/";
    }

    @PreDestroy
    void close() {
        store.ifPresent(s -> {
            if (s instanceof S3Store s3) {
                s3.close();
            }
        });
    }
}
