package io.sluice.bronze;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.support.Db;

/**
 * The service's database role (the one tests connect as, like Sluice) has data rights only (SPEC.md section 9), yet
 * can keep bronze's daily partitions through the two owner-rights functions.
 */
@QuarkusTest
class SchemaPrivilegesTest {

    @Test
    void serviceRoleCannotChangeTheSchema() {
        assertThatThrownBy(() -> Db.execute("CREATE TABLE bronze.intruder (id int)"))
                .hasMessageContaining("permission denied");
        assertThatThrownBy(() -> Db.execute("DROP TABLE silver.order_items"))
                .hasMessageContaining("must be owner");
    }

    @Test
    void partitionsAreCreatedAheadAndExpiredOnesDropped() {
        String yesterday = "events_"
                + LocalDate.now(ZoneOffset.UTC).minusDays(1).format(DateTimeFormatter.BASIC_ISO_DATE);
        String inThreeDays = "events_"
                + LocalDate.now(ZoneOffset.UTC).plusDays(3).format(DateTimeFormatter.BASIC_ISO_DATE);

        Db.rows("SELECT bronze.ensure_partitions(3)");
        assertThat(partitions()).contains(yesterday, inThreeDays);

        long dropped = Db.count("SELECT bronze.drop_expired_partitions(interval '0 seconds')");
        assertThat(dropped).isPositive();
        assertThat(partitions()).doesNotContain(yesterday).contains(inThreeDays);

        Db.rows("SELECT bronze.ensure_partitions(3)");
        assertThat(partitions()).contains(yesterday);
    }

    private static java.util.List<Object> partitions() {
        return Db.rows("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'bronze.events'::regclass""").stream().map(r -> r.get("relname")).toList();
    }
}
