-- migrate:up
-- An organization's subscription (Stripe's, or set by an operator); none means the default plan.
CREATE TABLE subscriptions (
  organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  plan text,
  status text NOT NULL DEFAULT 'none'
    CHECK (status IN ('none', 'incomplete', 'incomplete_expired', 'trialing', 'active',
                      'past_due', 'unpaid', 'canceled', 'paused', 'manual')),
  stripe_customer_id text UNIQUE,
  stripe_subscription_id text,
  current_period_end timestamptz,
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  past_due_since timestamptz,
  last_event_at timestamptz,       -- the newest Stripe event applied (older ones are stale)
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE invoices (
  id text PRIMARY KEY,             -- Stripe's invoice id
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  number text,
  status text NOT NULL,
  amount_due bigint NOT NULL,
  amount_paid bigint NOT NULL,
  currency text NOT NULL,
  hosted_invoice_url text,
  created_at timestamptz NOT NULL
);
CREATE INDEX invoices_organization ON invoices (organization_id, created_at DESC);

-- Usage counted from domain events: monthly (period = first of the month) or cumulative
-- (period = 1970-01-01); each event counted once.
CREATE TABLE usage_counters (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  period date NOT NULL,
  metric text NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (organization_id, period, metric)
);
CREATE TABLE metered_events (
  event_id text PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  counted_at timestamptz NOT NULL DEFAULT now()
);

-- Every Stripe event received, by id: handled once however often Stripe sends it.
CREATE TABLE stripe_events (
  id text PRIMARY KEY,
  type text NOT NULL,
  created timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  payload jsonb NOT NULL
);

SELECT fairview_tenant_table(t)
FROM unnest(ARRAY['subscriptions', 'invoices', 'usage_counters', 'metered_events']::regclass[]) AS t;

-- migrate:down
DROP TABLE stripe_events, metered_events, usage_counters, invoices, subscriptions;
