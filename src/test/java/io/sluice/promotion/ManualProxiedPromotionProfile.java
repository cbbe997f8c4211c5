package io.sluice.promotion;

import java.util.HashMap;
import java.util.Map;

import io.sluice.support.Db;
import io.sluice.support.TcpProxy;

/**
 * {@link ManualPromotionProfile} with Sluice's reactive connections through the JVM-wide cuttable proxy
 * ({@link TcpProxy#postgres()}, shared across class loaders). The URL is also set under {@code %test.}:
 * application.properties has a {@code %test.} URL, and a profile-prefixed key wins over a plain one whatever the source.
 */
public class ManualProxiedPromotionProfile extends ManualPromotionProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        String url = "postgresql://127.0.0.1:" + TcpProxy.postgres().port() + "/"
                + Db.env("SLUICE_DB_TEST_NAME", "sluice_test");
        Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
        overrides.put("quarkus.datasource.reactive.url", url);
        overrides.put("%test.quarkus.datasource.reactive.url", url);
        return overrides;
    }

    /** The proxy the profile's URL goes through. */
    static TcpProxy proxy() {
        return TcpProxy.postgres();
    }
}
