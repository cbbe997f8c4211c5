package io.sluice.promotion;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sluice.ingest.IngestPipeline;
import io.sluice.support.Db;

/**
 * A promotion round commits without waiting for the WAL flush ({@code sluice.promotion.synchronous-commit=false}),
 * a landing always waits: statement triggers record the {@code synchronous_commit} each transaction runs with.
 */
@QuarkusTest
@TestProfile(ManualPromotionProfile.class)
class PromotionCommitTest {

    private static final String PROBE = """
            CREATE TABLE public.commit_probe (tbl text, setting text);
            GRANT SELECT ON public.commit_probe TO PUBLIC;
            CREATE FUNCTION public.commit_probe() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
            BEGIN
                INSERT INTO public.commit_probe VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME,
                                                        current_setting('synchronous_commit'));
                RETURN NULL;
            END $$;
            CREATE TRIGGER commit_probe AFTER INSERT ON silver.events
                FOR EACH STATEMENT EXECUTE FUNCTION public.commit_probe();
            CREATE TRIGGER commit_probe AFTER INSERT ON bronze.promotion_batches
                FOR EACH STATEMENT EXECUTE FUNCTION public.commit_probe();
            """;
    private static final String DROP_PROBE = """
            DROP TRIGGER IF EXISTS commit_probe ON silver.events;
            DROP TRIGGER IF EXISTS commit_probe ON bronze.promotion_batches;
            DROP FUNCTION IF EXISTS public.commit_probe();
            DROP TABLE IF EXISTS public.commit_probe;
            """;

    @Inject
    Promoter promoter;

    @Inject
    IngestPipeline pipeline;

    @BeforeEach
    void probe() {
        Db.executeAsOwner(DROP_PROBE + PROBE);
    }

    @AfterEach
    void dropProbe() {
        Db.executeAsOwner(DROP_PROBE);
    }

    @Test
    void landingsWaitForTheFlushAndPromotionRoundsDoNot() {
        Workload w = new Workload(17, 40);
        Promotions.land(pipeline, w, w.events, 20);

        promoter.drain().await().atMost(Duration.ofSeconds(60));

        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id LIKE ?", w.prefix + "%"))
                .isEqualTo(40);
        List<Map<String, Object>> seen = Db.rows(
                "SELECT tbl, string_agg(DISTINCT setting, ',') AS settings FROM public.commit_probe GROUP BY tbl "
                        + "ORDER BY tbl");
        assertThat(seen).containsExactly(
                Map.of("tbl", "bronze.promotion_batches", "settings", "on"),
                Map.of("tbl", "silver.events", "settings", "off"));
    }
}
