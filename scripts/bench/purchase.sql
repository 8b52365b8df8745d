-- The relational baseline of scripts/bench.sh: the purchase as a PostgreSQL
-- expert writes it, one transaction per request.
--
-- The schema is what a DBA would accept on a hot path. orders is keyed by
-- (activity_id, user_id), which is also the one-order-per-user rule, and has
-- no foreign key onto activity: a foreign key would make every insert take a
-- KEY SHARE lock on the one hot activity row, turning its xmax into a
-- MultiXact that every later read of the row must resolve. The activity
-- row is narrow and updated in place (fillfactor leaves room for HOT
-- updates).
--
-- A request answers from reads when the user already holds an order or the
-- stock is gone. Otherwise it inserts the order under the unique key and then
-- decrements the stock only while it is above zero, deleting its own insert
-- when it is not. The insert comes first so the hot activity row is locked
-- only from the decrement to the commit.

CREATE TABLE activity (
  id             bigint PRIMARY KEY,
  stock          bigint NOT NULL,
  remaining      bigint NOT NULL CHECK (remaining >= 0),
  price          bigint NOT NULL,
  payment_window integer NOT NULL
) WITH (fillfactor = 50);

CREATE TABLE orders (
  activity_id bigint NOT NULL,
  user_id     text NOT NULL,
  price       bigint NOT NULL,
  status      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz,
  PRIMARY KEY (activity_id, user_id)
);

-- Request number r (0, 1, 2, ...) is made by user r / requests_per_user, as in
-- scripts/loadtest: the requests of one user are consecutive, so they are
-- taken by different pgbench clients at nearly the same moment and race.
CREATE SEQUENCE request_seq MINVALUE 0 START 0;

CREATE FUNCTION purchase(p_activity bigint, p_user text, OUT outcome text)
LANGUAGE plpgsql AS $$
DECLARE
  v_remaining bigint;
BEGIN
  -- Answer from reads where possible.
  PERFORM 1 FROM orders o WHERE o.activity_id = p_activity AND o.user_id = p_user;
  IF FOUND THEN
    outcome := 'already_won';
    RETURN;
  END IF;
  SELECT a.remaining INTO v_remaining FROM activity a WHERE a.id = p_activity;
  IF NOT FOUND THEN
    outcome := 'not_found';
    RETURN;
  END IF;
  IF v_remaining <= 0 THEN
    outcome := 'sold_out';
    RETURN;
  END IF;

  -- Claim the user's one order; a concurrent request of the same user waits
  -- here for the first one's transaction to end.
  INSERT INTO orders (activity_id, user_id, price, status, expires_at)
  SELECT a.id, p_user, a.price, 'pending', now() + make_interval(secs => a.payment_window)
  FROM activity a WHERE a.id = p_activity
  ON CONFLICT (activity_id, user_id) DO NOTHING;
  IF NOT FOUND THEN
    outcome := 'already_won';
    RETURN;
  END IF;

  -- Take one unit while any is left; otherwise undo the claim.
  UPDATE activity SET remaining = remaining - 1
  WHERE id = p_activity AND remaining > 0;
  IF NOT FOUND THEN
    DELETE FROM orders WHERE activity_id = p_activity AND user_id = p_user;
    outcome := 'sold_out';
    RETURN;
  END IF;
  outcome := 'won';
END
$$;
