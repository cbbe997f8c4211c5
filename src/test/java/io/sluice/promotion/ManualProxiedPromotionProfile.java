package io.sluice.promotion;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

import io.sluice.support.TcpProxy;

/**
 * {@link ManualPromotionProfile} with Sluice's reactive connections through a cuttable TCP proxy that the test owns.
 * <p>
 * Quarkus instantiates a test profile in another class loader than the test class, so a proxy object created here
 * would not be the one the test can reach. The profile only chooses the port (published as a system property); the
 * test starts the proxy on it ({@link #proxy()}). The URL is also set under {@code %test.}: application.properties
 * has a {@code %test.} URL, and a profile-prefixed key wins over a plain one whatever the source.
 */
public class ManualProxiedPromotionProfile extends ManualPromotionProfile {

    private static final String PORT = "promotion-test.proxy-port";
    private static TcpProxy proxy;

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            String port = System.getProperty(PORT, String.valueOf(TcpProxy.freePort()));
            System.setProperty(PORT, port);
            String url = "postgresql://127.0.0.1:" + port + "/"
                    + System.getenv().getOrDefault("SLUICE_DB_TEST_NAME", "sluice_test");
            Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
            overrides.put("quarkus.datasource.reactive.url", url);
            overrides.put("%test.quarkus.datasource.reactive.url", url);
            return overrides;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The proxy on the profile's port, started on first use (in the caller's class loader). */
    static synchronized TcpProxy proxy() throws IOException {
        if (proxy == null) {
            proxy = TcpProxy.postgresOn(Integer.getInteger(PORT));
        }
        return proxy;
    }
}
