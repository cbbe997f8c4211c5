package io.sluice.config;

import java.util.List;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnectOptions;

/**
 * Builds the reactive pool with every wait bounded (SPEC section 8): the PostgreSQL session timeouts travel in each
 * connection's startup message ({@code statement_timeout}, {@code lock_timeout},
 * {@code idle_in_transaction_session_timeout}), and the client bounds its own waits (TCP connect, keepalive, the wait
 * for a pooled connection, the wait queue). Quarkus's datasource keys (URL, credentials, max-size, idle-timeout) are
 * applied first; Quarkus calls this creator in place of its own pool factory.
 * <p>
 * Statements are prepared once per connection and kept ({@code quarkus.datasource.reactive.cache-prepared-statements},
 * on), whatever their length: the client's default keeps only statements of up to 2,048 characters, and without a
 * kept statement PostgreSQL parses and plans every execution. The landing statement (about 4,000 characters) was
 * planned on every call, 0.58 ms of PostgreSQL's CPU per group commit (pg_stat_statements, bench/RESULTS.md).
 */
@ApplicationScoped
public class DatabaseSessions implements PgPoolCreator {

    /** Longer than any statement Sluice prepares (the landing statement is the longest). */
    private static final int MAX_CACHED_SQL_CHARS = 16_384;

    private final SluiceConfig.Database config;

    public DatabaseSessions(SluiceConfig config) {
        this.config = config.database();
    }

    @Override
    public Pool create(Input input) {
        input.pgConnectOptionsList().forEach(this::bound);
        PoolOptions pool = input.poolOptions()
                .setConnectionTimeout((int) config.acquireTimeout().toMillis())
                .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
                .setMaxWaitQueueSize(config.maxWaitQueue());
        return PgBuilder.pool().with(pool).connectingTo(List.<SqlConnectOptions>copyOf(input.pgConnectOptionsList()))
                .using(input.vertx()).build();
    }

    /** Applies the session timeouts and TCP settings to one connection's options (the pool's, or a LISTEN one). */
    public PgConnectOptions bound(PgConnectOptions options) {
        options.setPreparedStatementCacheSqlLimit(MAX_CACHED_SQL_CHARS)
                .setConnectTimeout((int) config.connectTimeout().toMillis())
                .setTcpKeepAlive(config.tcpKeepAlive())
                .addProperty("statement_timeout", Long.toString(config.statementTimeout().toMillis()))
                .addProperty("lock_timeout", Long.toString(config.lockTimeout().toMillis()))
                .addProperty("idle_in_transaction_session_timeout",
                        Long.toString(config.idleInTransactionTimeout().toMillis()));
        return options;
    }
}
