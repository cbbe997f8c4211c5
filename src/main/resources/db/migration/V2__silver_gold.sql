-- Silver: one typed row per event_id. Personal data only as keyed hashes.
CREATE TABLE silver.events (
    event_id           text        PRIMARY KEY,
    event_type         text        NOT NULL,
    occurred_at        timestamptz NOT NULL,
    user_id            text,
    anonymous_id       text,
    session_id         text,
    page_url           text,
    page_referrer      text,
    page_title         text,
    sku                text,
    product_name       text,
    product_category   text,
    product_brand      text,
    product_price      numeric,
    product_currency   text,
    quantity           integer,
    order_id           text,
    order_total        numeric,
    currency           text,
    ip_hash            text,
    user_agent         text,
    locale             text,
    properties         jsonb,
    attributes         jsonb       NOT NULL DEFAULT '{}',
    schema_version     integer     NOT NULL DEFAULT 1,
    cloudevent_source  text,
    source             text        NOT NULL,
    channel            text        NOT NULL,
    bronze_id          bigint      NOT NULL,
    bronze_received_at timestamptz NOT NULL,
    payload_hash       bytea       NOT NULL,
    first_received_at  timestamptz NOT NULL,
    promoted_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX silver_events_occurred_idx ON silver.events (occurred_at);
CREATE INDEX silver_events_sku_idx ON silver.events (sku, occurred_at) WHERE sku IS NOT NULL;
CREATE INDEX silver_events_user_idx ON silver.events (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX silver_events_bronze_idx ON silver.events (bronze_id);

CREATE TABLE silver.order_items (
    event_id   text    NOT NULL REFERENCES silver.events (event_id) ON DELETE CASCADE,
    line_no    integer NOT NULL,
    order_id   text    NOT NULL,
    sku        text    NOT NULL,
    name       text,
    category   text,
    brand      text,
    quantity   integer NOT NULL,
    unit_price numeric NOT NULL,
    currency   text    NOT NULL,
    PRIMARY KEY (event_id, line_no)
);
CREATE INDEX silver_order_items_sku_idx ON silver.order_items (sku);

-- Gold: a Kimball star schema and daily metrics, maintained by the promotion engine.
CREATE TABLE gold.dim_date (
    date_key    integer PRIMARY KEY,
    date        date    NOT NULL UNIQUE,
    year        integer NOT NULL,
    quarter     integer NOT NULL,
    month       integer NOT NULL,
    day         integer NOT NULL,
    iso_week    integer NOT NULL,
    day_of_week integer NOT NULL
);

CREATE TABLE gold.dim_customer (
    customer_key  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       text        NOT NULL UNIQUE,
    first_seen_at timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL
);

CREATE TABLE gold.dim_product (
    product_key bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku         text        NOT NULL,
    name        text,
    category    text,
    brand       text,
    price       numeric,
    currency    text,
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz,
    is_current  boolean     NOT NULL,
    UNIQUE (sku, valid_from)
);
CREATE UNIQUE INDEX dim_product_current_idx ON gold.dim_product (sku) WHERE is_current;

CREATE TABLE gold.fact_order_line (
    event_id     text    NOT NULL,
    line_no      integer NOT NULL,
    order_id     text    NOT NULL,
    date_key     integer NOT NULL REFERENCES gold.dim_date (date_key),
    product_key  bigint  REFERENCES gold.dim_product (product_key),
    customer_key bigint  REFERENCES gold.dim_customer (customer_key),
    quantity     integer NOT NULL,
    unit_price   numeric NOT NULL,
    revenue      numeric NOT NULL,
    currency     text    NOT NULL,
    PRIMARY KEY (event_id, line_no)
);
CREATE INDEX fact_order_line_date_idx ON gold.fact_order_line (date_key);
CREATE INDEX fact_order_line_product_idx ON gold.fact_order_line (product_key);

CREATE TABLE gold.daily_product_metrics (
    day               date    NOT NULL,
    sku               text    NOT NULL,
    views             bigint  NOT NULL DEFAULT 0,
    add_to_carts      bigint  NOT NULL DEFAULT 0,
    remove_from_carts bigint  NOT NULL DEFAULT 0,
    units_sold        bigint  NOT NULL DEFAULT 0,
    orders            bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (day, sku)
);

CREATE TABLE gold.daily_revenue (
    day      date    NOT NULL,
    currency text    NOT NULL,
    orders   bigint  NOT NULL DEFAULT 0,
    revenue  numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency)
);
