package io.sluice.pull;

import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Pull sources pointing at {@link FakeEventsApi}, with short intervals and backoffs. */
public class PullProfile implements QuarkusTestProfile {

    /** Every scenario of {@link PullSourcesTest}; each is a source named after it and the run. */
    static final String[] SOURCES = {"t-body", "t-link", "t-throttled", "t-flaky", "t-slow", "t-malformed",
            "t-denied", "t-shared", "t-rewind"};

    @Override
    public Map<String, String> getConfigOverrides() {
        FakeEventsApi.ensureStarted();
        Map<String, String> config = new HashMap<>();
        // the profiled key too: application.properties switches pulling off in %test
        config.put("sluice.pull.enabled", "true");
        config.put("%test.sluice.pull.enabled", "true");
        config.put("sluice.pull.initial-backoff", "200ms");
        config.put("sluice.pull.max-backoff", "2s");
        config.put("sluice.pull.status-refresh", "1s");
        for (String scenario : SOURCES) {
            String source = PullScenarios.source(scenario);
            String prefix = "sluice.pull.sources." + source + ".";
            config.put(prefix + "url", FakeEventsApi.Control.url(source));
            config.put(prefix + "interval", "500ms");
            // generous: a loaded test machine must not turn a slow answer into a retry (t-slow is the timeout test)
            config.put(prefix + "read-timeout", "15s");
            config.put(prefix + "headers.Authorization", "Bearer fake-api-token");
        }
        config.put("sluice.pull.sources." + PullScenarios.source("t-slow") + ".read-timeout", "2s");
        config.put("sluice.pull.sources." + PullScenarios.source("t-link") + ".items-pointer", "/items");
        config.put("sluice.pull.sources." + PullScenarios.source("t-shared") + ".interval", "1h");
        return config;
    }
}
