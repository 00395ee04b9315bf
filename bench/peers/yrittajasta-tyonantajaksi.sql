-- pilots.md §1: guidance 800 €, plan 300 €, survey graded per answer,
-- 1 200 € when recruitments within 3 months of enrolment reach 0.5 person-years,
-- group events 2 400 € once per provider.
WITH firsts AS (
    SELECT * FROM ev
    WHERE client_id IS NOT NULL AND (type IN ('guidance_completed', 'plan_completed')
                                     OR (type = 'survey_answered' AND len(answers) > 0))
      AND event_id NOT IN (SELECT event_id FROM foreign_events)
    QUALIFY row_number() OVER (PARTITION BY type, client_id ORDER BY occurred_on, ord) = 1
),
recruitments AS (
    SELECT r.*, en.enrolled_on
    FROM ev r JOIN enrol en USING (provider_id, client_id)
    WHERE r.type = 'recruitment_made'
      AND r.occurred_on BETWEEN en.enrolled_on AND CAST(en.enrolled_on + INTERVAL 3 MONTH AS DATE)
),
running AS (
    SELECT *,
           sum(coalesce(fte_years, 0)) OVER w AS total,
           list(event_id) OVER w AS ids
    FROM recruitments
    WINDOW w AS (PARTITION BY client_id ORDER BY ord ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
reached AS (
    SELECT * FROM running WHERE total >= 0.5 AND total - coalesce(fte_years, 0) < 0.5
),
group_events AS (
    SELECT * FROM ev WHERE type = 'milestone_reached' AND milestone = 'group_events_delivered'
    QUALIFY row_number() OVER (PARTITION BY provider_id ORDER BY occurred_on, ord) = 1
),
entries AS (
    SELECT CASE type WHEN 'guidance_completed' THEN 'guidance'
                     WHEN 'plan_completed' THEN 'recruitment_plan'
                     ELSE 'client_experience' END AS component,
           provider_id, client_id, occurred_on AS earned_on,
           CASE type WHEN 'guidance_completed' THEN 80000
                     WHEN 'plan_completed' THEN 30000
                     ELSE list_sum(list_transform(answers, lambda a: CASE a WHEN 4 THEN 20000
                                                             WHEN 3 THEN 10000 ELSE 0 END))
           END AS amount,
           [event_id] AS event_ids,
           format('{} {} on {}', type, event_id, occurred_on) AS facts
    FROM firsts
    UNION ALL
    SELECT 'recruitment_result', provider_id, client_id, occurred_on, 120000, ids,
           format('{} person-years by {}', total, occurred_on)
    FROM reached
    UNION ALL
    SELECT 'group_events', provider_id, NULL, occurred_on, 240000, [event_id],
           format('milestone group_events_delivered {} on {}', event_id, occurred_on)
    FROM group_events
)
SELECT component, provider_id, client_id, earned_on, CAST(amount AS BIGINT) AS amount, event_ids,
       format('{} pays {} to {} for client {}: {}', component, amount / 100, provider_id,
              client_id, facts) AS explanation
FROM entries WHERE earned_on <= DATE '{as_of}';
