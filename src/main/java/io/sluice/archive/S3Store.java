package io.sluice.archive;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import io.sluice.config.SluiceConfig;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * The {@code s3} target: a bucket of AWS S3 or of any S3-compatible store, through AWS SDK v2 over the JDK's
 * HttpURLConnection. Uploads stream from the export file; reads stream the object. Checksums beyond what the
 * request needs are off ({@code WHEN_REQUIRED}): several S3-compatible stores refuse the SDK's trailing checksums,
 * and the archive verifies its own SHA-256 by reading the object back.
 */
final class S3Store implements ArchiveStore, AutoCloseable {

    private final S3Client client;
    private final String bucket;

    S3Store(SluiceConfig.Archive.S3 config) {
        this.bucket = config.bucket().filter(b -> !b.isBlank()).orElseThrow(() -> new IllegalStateException(
                "sluice.archive.target=s3 needs sluice.archive.s3.bucket"));
        var builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .region(Region.of(config.region()))
                .credentialsProvider(credentials(config))
                .forcePathStyle(config.pathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        config.endpoint().filter(e -> !e.isBlank()).map(URI::create).ifPresent(builder::endpointOverride);
        this.client = builder.build();
    }

    private static AwsCredentialsProvider credentials(SluiceConfig.Archive.S3 config) {
        if (config.accessKeyId().isPresent() && config.secretAccessKey().isPresent()) {
            return StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(config.accessKeyId().get(), config.secretAccessKey().get()));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    @Override
    public void put(String key, Path file, String contentType) throws IOException {
        try {
            client.putObject(request(key, contentType), RequestBody.fromFile(file));
        } catch (SdkException e) {
            throw new IOException("upload of " + location(key) + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void put(String key, byte[] bytes, String contentType) throws IOException {
        try {
            client.putObject(request(key, contentType), RequestBody.fromBytes(bytes));
        } catch (SdkException e) {
            throw new IOException("upload of " + location(key) + " failed: " + e.getMessage(), e);
        }
    }

    private PutObjectRequest request(String key, String contentType) {
        return PutObjectRequest.builder().bucket(bucket).key(key).contentType(contentType).build();
    }

    @Override
    public InputStream open(String key) throws IOException {
        try {
            return client.getObject(GetObjectRequest.builder().bucket(bucket).key(key).build());
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(location(key));
        } catch (SdkException e) {
            throw new IOException("download of " + location(key) + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String location(String key) {
        return "s3://" + bucket + "/" + key;
    }

    @Override
    public void close() {
        client.close();
    }
}
