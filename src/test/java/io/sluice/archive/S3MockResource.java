package io.sluice.archive;

import java.util.HashMap;
import java.util.Map;

import com.adobe.testing.s3mock.S3MockApplication;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Adobe's S3Mock, an S3-compatible server, started inside the test JVM on a free port (no Docker). */
public class S3MockResource implements QuarkusTestResourceLifecycleManager {

    static final String BUCKET = "sluice-archive-test";
    static volatile String endpoint;

    private S3MockApplication s3;

    @Override
    public Map<String, String> start() {
        // S3Mock edits the map it is given
        Map<String, Object> properties = new HashMap<>();
        properties.put(S3MockApplication.PROP_HTTP_PORT, S3MockApplication.RANDOM_PORT);
        properties.put(S3MockApplication.PROP_HTTPS_PORT, S3MockApplication.RANDOM_PORT);
        properties.put(S3MockApplication.PROP_INITIAL_BUCKETS, BUCKET);
        properties.put(S3MockApplication.PROP_SILENT, true);
        properties.put("spring.main.banner-mode", "off");
        // S3Mock's own application.properties is shadowed by Sluice's on the test classpath: its keys, given here
        properties.put("com.adobe.testing.s3mock.region", "us-east-1");
        properties.put("spring.jmx.enabled", false);
        properties.put("server.tomcat.max-swallow-size", "10MB");
        properties.put("management.endpoints.web.discovery.enabled", false);
        s3 = S3MockApplication.start(properties);
        endpoint = "http://127.0.0.1:" + s3.getHttpPort();
        return Map.of("sluice.archive.target", "s3",
                "sluice.archive.s3.bucket", BUCKET,
                "sluice.archive.s3.endpoint", endpoint,
                "sluice.archive.s3.path-style", "true",
                "sluice.archive.s3.region", "us-east-1",
                "sluice.archive.s3.access-key-id", "test-access-key",
                "sluice.archive.s3.secret-access-key", "test-secret-key");
    }

    @Override
    public void stop() {
        if (s3 != null) {
            s3.stop();
        }
    }
}
