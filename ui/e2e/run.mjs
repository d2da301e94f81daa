// Browser scenario of the UI (issue 5 acceptance), in Debian Chromium through playwright-core.
// Driven by tests/e2e/test_ui_e2e.py, which starts the real API (serving ui/dist), runs the two phases back to
// back (an approval reaches the served final without a job) and then checks the Spark `final` job writes the same:
//   node e2e/run.mjs before-final   login, KPIs = API, slice by cluster, exception -> drilldown, planner submits
//                                   an override, the planner is refused approval, an approver approves; chat:
//                                   a question's table = POST /chat's rows, a DROP TABLE is refused
//   node e2e/run.mjs after-final    the drilldown shows the final forecast changed for exactly that month
//   node e2e/run.mjs waterfall      (after the final job) the Waterfall page of that DFU shows, for that month,
//                                   the final and statistical forecast published at each lag = GET /waterfall
// Env: LAKECAST_E2E_URL (API base), LAKECAST_E2E_ARTIFACTS (screenshots), LAKECAST_E2E_STATE (JSON handed
// from the first phase to the second), LAKECAST_E2E_CHROMIUM (default /usr/bin/chromium).
// The last stdout line is `RESULT <json>`; any failed check exits 1 after a screenshot.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.LAKECAST_E2E_URL ?? "http://127.0.0.1:8000";
const ARTIFACTS = process.env.LAKECAST_E2E_ARTIFACTS ?? "e2e-artifacts";
const STATE = process.env.LAKECAST_E2E_STATE ?? join(ARTIFACTS, "state.json");
const CHROMIUM = process.env.LAKECAST_E2E_CHROMIUM ?? "/usr/bin/chromium";
const PASSWORD = "lakecast";
const PCT = 25;

mkdirSync(ARTIFACTS, { recursive: true });

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function log(message) {
  console.log(`[e2e] ${message}`);
}

async function token(username) {
  const r = await fetch(`${BASE}/auth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username, password: PASSWORD }),
  });
  check(r.ok, `login of ${username} over the API failed: ${r.status}`);
  return (await r.json()).access_token;
}

async function apiGet(path, tok) {
  const r = await fetch(`${BASE}${path}`, { headers: { Authorization: `Bearer ${tok}` } });
  const body = await r.json();
  check(r.ok, `GET ${path} -> ${r.status}: ${JSON.stringify(body)}`);
  return body;
}

/** POST a JSON body; checks the status (200 unless said) and returns the parsed body. */
async function apiPost(path, body, tok, expectStatus = 200) {
  const r = await fetch(`${BASE}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${tok}` },
    body: JSON.stringify(body),
  });
  const out = await r.json();
  check(r.status === expectStatus, `POST ${path} -> ${r.status} (expected ${expectStatus}): ${JSON.stringify(out)}`);
  return out;
}

function nextMonth(isoMonth) {
  const [y, m] = isoMonth.split("-").map(Number);
  const total = y * 12 + (m - 1) + 1;
  return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, "0")}-01`;
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});
const pages = [];

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** A fresh browser context logged in through the login form; checks the role shown in the header. */
async function session(username, expectedRole) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on("pageerror", (err) => log(`page error (${username}): ${err.message}`));
  pages.push(page);
  await page.goto(`${BASE}/app/overview`);
  await page.waitForURL(/\/app\/login/);
  await page.fill("#username", username);
  await page.fill("#password", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=current-role]");
  const role = (await page.textContent("[data-testid=current-role]")).trim();
  check(role === expectedRole, `${username}: header shows role ${role}, expected ${expectedRole}`);
  log(`${username} logged in, header role ${role}`);
  return page;
}

async function kpiValues(page) {
  const out = {};
  for (const id of ["accuracy_pct", "wape", "bias", "mape", "actual_qty", "forecast_qty", "n_dfus"]) {
    const el = page.locator(`[data-testid=kpi-${id}]`);
    const raw = await el.getAttribute("data-value");
    out[id] = { value: raw === "" ? null : Number(raw), text: (await el.locator(".kpi-value").textContent()).trim() };
  }
  return out;
}

async function waitKpisFor(page, api) {
  // the cards re-render after the query for the new window lands: wait for the API's raw accuracy value
  // (DuckDB sums in parallel: two identical queries may differ in the last bits, hence the tolerance)
  await page.waitForFunction(
    ({ v, n }) => {
      const raw = document.querySelector("[data-testid=kpi-accuracy_pct]")?.getAttribute("data-value");
      const rows = document.querySelector("[data-testid=kpi-n_dfus]")?.getAttribute("data-value");
      if (raw === null || raw === undefined || rows !== String(n)) return false;
      return v === null ? raw === "" : Math.abs(Number(raw) - v) <= 1e-9 * Math.max(1, Math.abs(v));
    },
    { v: api.accuracy_pct, n: api.n_dfus },
  );
}

/** Equal up to float summation order (1e-9 relative); exact for integers and nulls. */
function same(a, b) {
  if (a === null || b === null) return a === b;
  if (Number.isInteger(a) && Number.isInteger(b)) return a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

function compareKpis(ui, api, label) {
  for (const id of ["accuracy_pct", "wape", "bias", "mape", "actual_qty", "forecast_qty", "n_dfus"]) {
    check(same(ui[id].value, api[id]), `${label}: KPI ${id} shows ${ui[id].value}, the API says ${api[id]}`);
  }
  check(api.n_rows > 0, `${label}: the API pools no rows (pick another window)`);
  check(ui.accuracy_pct.text === `${api.accuracy_pct.toFixed(1)}%`, `${label}: accuracy text ${ui.accuracy_pct.text}`);
  check(ui.wape.text === `${(api.wape * 100).toFixed(1)}%`, `${label}: WAPE text ${ui.wape.text}`);
}

async function tableKeys(page, testId) {
  return page.locator(`[data-testid=${testId}] tbody tr`).evaluateAll((rows) => rows.map((r) => r.getAttribute("data-key")));
}

async function tableTexts(page, testId) {
  return page.locator(`[data-testid=${testId}] tbody tr`).evaluateAll((rows) => rows.map((r) => r.innerText));
}

async function beforeFinal() {
  const viewerTok = await token("viewer");

  // 1. login, role in the header; overview KPIs equal the API's, for two windows of the selector
  const viewer = await session("viewer", "viewer");
  await viewer.goto(`${BASE}/app/overview`);
  await viewer.waitForSelector("[data-testid=kpi-accuracy_pct]");
  const api6 = await apiGet("/kpis?window=6&lag=execution&model_id=champion", viewerTok);
  await waitKpisFor(viewer, api6);
  compareKpis(await kpiValues(viewer), api6, "window 6 (default)");
  // the champion exists on the holdout months only: the window selector is checked on a model with history
  await viewer.selectOption("#f-model", "theta");
  await viewer.waitForURL(/model=theta/);
  const theta6 = await apiGet("/kpis?window=6&lag=execution&model_id=theta", viewerTok);
  await waitKpisFor(viewer, theta6);
  compareKpis(await kpiValues(viewer), theta6, "theta, window 6");
  await viewer.selectOption("#f-window", "12");
  await viewer.waitForURL(/window=12/);
  const api12 = await apiGet("/kpis?window=12&lag=execution&model_id=theta", viewerTok);
  await waitKpisFor(viewer, api12);
  compareKpis(await kpiValues(viewer), api12, "theta, window 12");
  check(theta6.n_rows !== api12.n_rows, "windows 6 and 12 pool different rows");
  await viewer.waitForSelector("[data-testid=trend-chart] svg");
  await shot(viewer, "01-overview");
  log(`overview KPIs equal the API (accuracy ${api6.accuracy_pct} / ${api12.accuracy_pct})`);

  // 2. accuracy explorer: slicing by cluster changes the table (and matches the API), then a cluster filter
  await viewer.goto(`${BASE}/app/accuracy?by=category`);
  await viewer.waitForSelector("[data-testid=slice-table] caption:has-text('by category')");
  const byCategory = await tableKeys(viewer, "slice-table");
  await viewer.selectOption("#f-by", "cluster");
  await viewer.waitForSelector("[data-testid=slice-table] caption:has-text('by cluster')");
  const byCluster = await tableKeys(viewer, "slice-table");
  const apiClusters = await apiGet("/accuracy/slice?by=cluster&window=6&lag=execution&model_id=champion&limit=500&sort=actual_qty", viewerTok);
  check(
    JSON.stringify([...byCluster].sort()) === JSON.stringify(apiClusters.items.map((i) => i.key ?? "(none)").sort()),
    `slice by cluster shows ${byCluster}, the API ${apiClusters.items.map((i) => i.key)}`,
  );
  check(JSON.stringify(byCluster) !== JSON.stringify(byCategory), "the table did not change when slicing by cluster");
  const cluster = apiClusters.items[0].key;
  await viewer.selectOption("#f-by", "category");
  await viewer.waitForSelector("[data-testid=slice-table] caption:has-text('by category')");
  const unfiltered = await tableTexts(viewer, "slice-table");
  await viewer.selectOption("#f-dim-cluster", cluster);
  await viewer.waitForURL(new RegExp(`cluster=${cluster}`));
  const apiFiltered = await apiGet(`/accuracy/slice?by=category&cluster=${cluster}&window=6&lag=execution&model_id=champion&limit=500&sort=actual_qty`, viewerTok);
  const firstActual = Math.round(apiFiltered.items[0].actual_qty).toLocaleString("en-US");
  // wait for the filtered query to land: the API's rows, one of them showing the API's first actual
  // (the caption's "N values" alone can match the unfiltered table when both have N categories)
  await viewer.waitForFunction(
    ({ keys, actual }) => {
      const rows = [...document.querySelectorAll("[data-testid=slice-table] tbody tr")];
      return (
        JSON.stringify(rows.map((r) => r.getAttribute("data-key")).sort()) === JSON.stringify(keys) &&
        rows.some((r) => r.innerText.includes(actual))
      );
    },
    { keys: apiFiltered.items.map((i) => i.key ?? "(none)").sort(), actual: firstActual },
  );
  await viewer.waitForSelector("[data-testid=active-filters]");
  const filtered = await tableTexts(viewer, "slice-table");
  check(JSON.stringify(filtered) !== JSON.stringify(unfiltered), "the cluster filter did not change the table");
  check(filtered.some((t) => t.includes(firstActual)), `filtered table lacks the API's actual ${firstActual}: ${filtered}`);
  await shot(viewer, "02-accuracy-by-cluster");
  log(`slicing by cluster: ${byCluster.length} clusters; filter cluster ${cluster} -> ${filtered.length} rows`);

  // 2b. competition page: per lag, the champion beside the legacy forecast = GET /competition/detail; an
  //     intermittent segment (flagged by the API) explains why DFU-month Accuracy% is the wrong lens
  const detail = await apiGet("/competition/detail", viewerTok);
  await viewer.goto(`${BASE}/app/competition`);
  await viewer.waitForSelector("[data-testid=detail-table] tbody tr");
  const lagTexts = await tableTexts(viewer, "detail-table");
  check(lagTexts.length === detail.lags.length, `detail table has ${lagTexts.length} lags, the API ${detail.lags.length}`);
  const fmt = (v) => (v === null || v === undefined ? "—" : `${v.toFixed(1)}%`);
  detail.lags.forEach((lag, i) => {
    for (const model of ["champion", "external", "seasonal_naive"]) {
      const r = detail.rows.find((x) => x.segment === "all" && x.lag === lag && x.model_id === model);
      check(r !== undefined, `the API has no ${model} row at lag ${lag}`);
      check(lagTexts[i].includes(fmt(r.accuracy_pct)), `lag ${lag}: ${model} accuracy ${fmt(r.accuracy_pct)} not shown: ${lagTexts[i]}`);
    }
  });
  const intermittent = detail.segments.find((s) => s.intermittent);
  if (intermittent) {
    await viewer.selectOption("#f-detail-segment", intermittent.segment);
    await viewer.waitForSelector("[data-testid=intermittent-note]");
    await viewer.waitForSelector(`[data-testid=detail-table] caption:has-text('(${intermittent.segment})')`);
  }
  await shot(viewer, "02b-competition-detail");
  log(`competition detail: ${detail.lags.length} lags equal the API${intermittent ? `, note on ${intermittent.segment}` : ""}`);

  // 3. an exception opens its drilldown
  await viewer.goto(`${BASE}/app/exceptions`);
  await viewer.waitForSelector("[data-testid=exceptions-table] tbody tr");
  const apiExc = await apiGet("/exceptions?window=6&lag=execution&model_id=champion&rank_by=error&n=20", viewerTok);
  const firstKey = (await tableKeys(viewer, "exceptions-table"))[0];
  check(firstKey === apiExc.items[0].dfu_id, `first exception ${firstKey}, the API's ${apiExc.items[0].dfu_id}`);
  await shot(viewer, "03-exceptions");
  // keyboard: focus the first row and press Enter
  await viewer.locator("[data-testid=exceptions-table] tbody tr").first().focus();
  await viewer.keyboard.press("Enter");
  await viewer.waitForURL(/\/app\/dfu\//);
  const dfuId = decodeURIComponent(new URL(viewer.url()).pathname.split("/").pop());
  check(dfuId === firstKey, `drilldown opened ${dfuId}, expected ${firstKey}`);
  await viewer.waitForSelector("[data-testid=dfu-chart] svg");
  await viewer.waitForSelector(`h1:has-text("DFU ${dfuId}")`);
  // the champion's 80% interval is drawn as a shaded band when the API serves bounds for it
  const drillApi = await apiGet(`/dfus/${encodeURIComponent(dfuId)}?window=12&lag=execution`, viewerTok);
  const champPts = [...drillApi.backtest, ...drillApi.baseline].filter((s) => s.model_id === "champion").flatMap((s) => s.points);
  if (champPts.some((p) => p.fcst_lo_80 != null && p.fcst_hi_80 != null)) {
    await viewer.waitForSelector("[data-testid=dfu-chart] .recharts-area-area");
    log("drilldown draws the champion's 80% interval band");
  } else {
    check(false, `the API serves no champion interval for ${dfuId}`);
  }
  await shot(viewer, "04-drilldown");
  log(`exception ${dfuId} opened its drilldown`);

  // 4. the planner submits an override (+25 % on the first forward month) from the drilldown
  const drill = await apiGet(`/dfus/${encodeURIComponent(dfuId)}?window=12&lag=execution`, viewerTok);
  const month = nextMonth(drill.window.anchor_month);
  const champion = drill.baseline.find((s) => s.model_id === "champion");
  check(champion && champion.points.some((p) => p.target_month === month), `no baseline champion for ${dfuId} in ${month}`);
  const planner = await session("planner", "planner");
  await planner.goto(`${BASE}/app/dfu/${encodeURIComponent(dfuId)}`);
  await planner.waitForSelector("#ov-start");
  check((await planner.inputValue("#ov-start")) === month.slice(0, 7), "override form does not default to the first forward month");
  await planner.fill("#ov-value", String(PCT));
  await planner.fill("#ov-text", "e2e: promotion planned");
  await planner.click("form[aria-label='New override'] button[type=submit]");
  const created = await planner.waitForSelector("[data-testid=override-created]");
  const createdText = await created.textContent();
  const match = /#(\d+) submitted for approval/.exec(createdText);
  check(match, `unexpected confirmation: ${createdText}`);
  const overrideId = Number(match[1]);
  await planner.waitForSelector(`[data-testid=dfu-overrides] li:has-text("#${overrideId}")`);
  await shot(planner, "05-planner-submitted");
  log(`planner submitted override #${overrideId} for ${dfuId} ${month}`);

  // 5. the same planner is refused approval: the UI says why and disables the buttons; the API answers 403
  await planner.goto(`${BASE}/app/overrides?id=${overrideId}`);
  const blocker = await planner.waitForSelector("[data-testid=decision-blocker]");
  const blockerText = await blocker.textContent();
  check(/only approvers and admins can approve/.test(blockerText), `decision blocker says: ${blockerText}`);
  check(await planner.locator("fieldset.decision button:has-text('Approve')").isDisabled(), "Approve is enabled for the planner");
  const refused = await planner.evaluate(async ({ id }) => {
    const r = await fetch(`/overrides/${id}/approve`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${localStorage.getItem("lakecast.token")}` },
      body: JSON.stringify({ version: 2, note: "self-approval attempt" }),
    });
    return { status: r.status, body: await r.json() };
  }, { id: overrideId });
  check(refused.status === 403, `planner approval answered ${refused.status}: ${JSON.stringify(refused.body)}`);
  await shot(planner, "06-planner-refused");
  log(`planner refused approval (UI: "${blockerText.trim()}", API ${refused.status}: ${refused.body.detail})`);

  // 6. an approver approves it from the queue (keyboard: focus the row, Enter)
  const approver = await session("approver", "approver");
  await approver.goto(`${BASE}/app/overrides`);
  const row = approver.locator(`[data-testid=overrides-table] tbody tr[data-key="${overrideId}"]`);
  await row.waitFor();
  await row.focus();
  await approver.keyboard.press("Enter");
  await approver.waitForURL(new RegExp(`id=${overrideId}`));
  await approver.waitForSelector(`[data-testid=override-detail] h2:has-text("#${overrideId}")`);
  await approver.fill("#decision-note", "e2e: approved");
  await approver.click("fieldset.decision button:has-text('Approve')");
  await approver.waitForSelector("[data-testid=override-detail] h2 .badge.status-approved");
  await approver.waitForSelector("[data-testid=audit-trail] li:has-text('override.approve')");
  const trail = await approver.locator("[data-testid=audit-trail] > li code").allTextContents();
  check(
    JSON.stringify(trail) === JSON.stringify(["override.create", "override.submit", "override.approve"]),
    `audit trail: ${trail}`,
  );
  await shot(approver, "07-approver-approved");
  log(`approver approved #${overrideId}; audit trail ${trail.join(" -> ")}`);

  // 7. chat (viewer): the page's table is POST /chat's rows; the follow-up carries the conversation id; a
  //    DROP TABLE is refused in the thread (role=alert), the earlier answer stays
  const chat = await chatScenario(viewer, viewerTok);

  const state = { dfu_id: dfuId, month, override_id: overrideId, pct_change: PCT };
  writeFileSync(STATE, JSON.stringify(state));
  return { ...state, planner_refused_status: refused.status, kpis_window6: api6, kpis_window12: api12, chat };
}

const CHAT_QUESTION = "Accuracy by model over the last 6 months"; // rule parser, ordered by model: deterministic
const CHAT_REFUSED = "DROP TABLE gold.dim_dfu";
const CHAT_UNKNOWN = "units sold of Zorblax Cola in 2025"; // an invented name: asked back with the cola items

async function chatScenario(viewer, viewerTok) {
  const apiAnswer = await apiPost("/chat", { question: CHAT_QUESTION }, viewerTok);
  check(apiAnswer.mode === "rules" && apiAnswer.sql, `chat did not answer "${CHAT_QUESTION}": ${apiAnswer.mode} ${apiAnswer.answer}`);
  check(apiAnswer.rows.length > 0, `chat answered "${CHAT_QUESTION}" with no rows: ${apiAnswer.answer}`);
  check(apiAnswer.rows.every((r) => typeof r[0] === "string"), `first column ${apiAnswer.columns[0]} is not text`);
  const apiRefusal = await apiPost("/chat", { question: CHAT_REFUSED }, viewerTok, 400);
  check(apiRefusal.refused === true, `"${CHAT_REFUSED}" not refused: ${JSON.stringify(apiRefusal)}`);

  const sent = []; // bodies of the page's POST /chat requests
  viewer.on("request", (req) => {
    if (req.method() === "POST" && new URL(req.url()).pathname === "/chat") sent.push(req.postDataJSON());
  });
  const isChat = (r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/chat";
  await viewer.goto(`${BASE}/app/chat`);
  await viewer.waitForSelector("[data-testid=chat-form]");
  // keyboard: type the question, Enter asks
  await viewer.fill("[data-testid=chat-question]", CHAT_QUESTION);
  const answered = viewer.waitForResponse(isChat);
  await viewer.press("[data-testid=chat-question]", "Enter");
  const uiAnswer = await (await answered).json();
  const first = viewer.locator("[data-testid=chat-turn]").nth(0);
  const rowsLocator = first.locator("[data-testid=chat-table] tbody tr");
  await rowsLocator.first().waitFor();
  const firstColumn = await rowsLocator.evaluateAll((rows) => rows.map((r) => r.cells[0].innerText.trim()));
  check(
    firstColumn.length === apiAnswer.rows.length,
    `chat table shows ${firstColumn.length} rows, POST /chat returns ${apiAnswer.rows.length}`,
  );
  check(
    JSON.stringify(firstColumn) === JSON.stringify(apiAnswer.rows.map((r) => r[0])),
    `chat table's ${apiAnswer.columns[0]} ${JSON.stringify(firstColumn)}, the API's ${JSON.stringify(apiAnswer.rows.map((r) => r[0]))}`,
  );
  const answerText = (await first.locator("[data-testid=chat-answer]").textContent()).trim();
  // (the sentence holds rounded sums: compared with the page's own response, not the second API call)
  check(answerText !== "" && answerText === uiAnswer.answer, `chat answer "${answerText}", its response's "${uiAnswer.answer}"`);
  const sqlText = (await first.locator("[data-testid=chat-sql] code").textContent()).trim();
  check(sqlText === apiAnswer.sql.trim(), `chat SQL block "${sqlText}", the API's "${apiAnswer.sql}"`);
  if (apiAnswer.chart.type !== "table") await first.locator("[data-testid=chat-chart] svg").first().waitFor();
  check(!sent[0]?.conversation_id, `the first question sent a conversation id: ${JSON.stringify(sent[0])}`);
  log(`chat: "${CHAT_QUESTION}" -> ${firstColumn.length} rows (${firstColumn.join(", ")}), chart ${apiAnswer.chart.type}, equal to POST /chat`);

  // the guard's refusal, as a follow-up in the same conversation
  await viewer.fill("[data-testid=chat-question]", CHAT_REFUSED);
  await viewer.press("[data-testid=chat-question]", "Enter");
  const refusal = viewer.locator("[data-testid=chat-turn]").nth(1).locator("[data-testid=chat-refusal]");
  await refusal.waitFor();
  check((await refusal.getAttribute("role")) === "alert", "the refusal is not role=alert");
  const refusalText = (await refusal.textContent()).trim();
  check(refusalText.includes(apiRefusal.detail), `refusal shows "${refusalText}", the API says "${apiRefusal.detail}"`);
  check(sent.length === 2 && sent[1].conversation_id === uiAnswer.conversation_id,
    `the follow-up sent conversation ${sent[1]?.conversation_id}, the answer's was ${uiAnswer.conversation_id}`);
  check((await viewer.locator("[data-testid=chat-turn]").count()) === 2, "the thread does not hold both turns");
  check((await rowsLocator.count()) === apiAnswer.rows.length, "the first answer's table is gone after the refusal");
  await viewer.evaluate(() => window.scrollTo(0, 0)); // the sticky header would cover the chart otherwise
  await shot(viewer, "09-chat");
  log(`chat: "${CHAT_REFUSED}" refused in the thread ("${refusalText}"), follow-up in conversation ${uiAnswer.conversation_id}`);

  // an unknown name: the page shows the clarification (no table); clicking a choice re-asks with it
  const apiClarify = await apiPost("/chat", { question: CHAT_UNKNOWN }, viewerTok);
  check(apiClarify.mode === "clarify" && apiClarify.sql === null && apiClarify.clarification?.choices.length > 0,
    `"${CHAT_UNKNOWN}" was not asked back with choices: ${apiClarify.mode} ${apiClarify.answer}`);
  await viewer.fill("[data-testid=chat-question]", CHAT_UNKNOWN);
  await viewer.press("[data-testid=chat-question]", "Enter");
  const third = viewer.locator("[data-testid=chat-turn]").nth(2);
  const choice = third.locator("[data-testid=chat-choice]").first();
  await choice.waitFor();
  check((await third.locator("[data-testid=chat-table]").count()) === 0, "a clarification shows a result table");
  await third.scrollIntoViewIfNeeded();
  await shot(viewer, "09b-chat-clarification");
  check((await choice.textContent()).trim() === apiClarify.clarification.choices[0].label,
    `first choice "${await choice.textContent()}", the API's "${apiClarify.clarification.choices[0].label}"`);
  const reasked = viewer.waitForResponse(isChat);
  await choice.click();
  const reaskedBody = await (await reasked).json();
  check(sent[sent.length - 1].question === apiClarify.clarification.choices[0].question,
    `the choice sent "${sent[sent.length - 1].question}", expected "${apiClarify.clarification.choices[0].question}"`);
  check(reaskedBody.mode === "rules" && reaskedBody.rows.length > 0, `the re-asked question was not answered: ${reaskedBody.answer}`);
  await viewer.locator("[data-testid=chat-turn]").nth(3).locator("[data-testid=chat-table] tbody tr").first().waitFor();
  log(`chat: "${CHAT_UNKNOWN}" asked back (${apiClarify.clarification.choices.length} choices); the first re-asked "${apiClarify.clarification.choices[0].question}"`);
  return { question: CHAT_QUESTION, rows: firstColumn.length, first_column: firstColumn, refusal: apiRefusal.detail,
    clarified: CHAT_UNKNOWN, reasked: apiClarify.clarification.choices[0].question };
}

async function afterFinal() {
  const state = JSON.parse(readFileSync(STATE, "utf-8"));
  const viewerTok = await token("viewer");
  const viewer = await session("viewer", "viewer");
  await viewer.goto(`${BASE}/app/dfu/${encodeURIComponent(state.dfu_id)}`);
  const m = state.month.slice(0, 7);
  const finalCell = viewer.locator(`[data-testid="final-${m}"][data-value]`);
  await finalCell.waitFor();
  const finalQty = Number(await finalCell.getAttribute("data-value"));
  const championQty = Number(await viewer.locator(`[data-testid="champion-${m}"]`).getAttribute("data-value"));
  check((await finalCell.textContent()).includes("✎"), "the overridden month is not marked");
  const status = await viewer.textContent("[data-testid=final-status]");
  check(/differs from the champion in 1 month/.test(status), `final status: ${status}`);
  // every other month of the final forecast equals the champion
  const others = await viewer.locator("[data-testid^=final-][data-value]").evaluateAll((els) =>
    els.map((e) => ({ month: e.getAttribute("data-testid").slice(6), final: Number(e.getAttribute("data-value")) })),
  );
  let otherMonthsUnchanged = others.length > 1;
  for (const o of others) {
    if (o.month === m) continue;
    const c = Number(await viewer.locator(`[data-testid="champion-${o.month}"]`).getAttribute("data-value"));
    if (Math.abs(c - o.final) > 1e-9) otherMonthsUnchanged = false;
  }
  // the page shows what the API serves
  const drill = await apiGet(`/dfus/${encodeURIComponent(state.dfu_id)}?window=12&lag=execution`, viewerTok);
  const apiFinal = drill.final.points.find((p) => p.target_month === state.month);
  check(apiFinal && same(apiFinal.fcst_qty, finalQty), `UI final ${finalQty}, API ${apiFinal && apiFinal.fcst_qty}`);
  check(String(apiFinal.override_id) === String(state.override_id), `final row lineage: override ${apiFinal.override_id}`);
  await shot(viewer, "08-final-forecast");
  log(`final forecast for ${m}: ${championQty} -> ${finalQty}; ${others.length - 1} other months equal the champion`);
  return { champion_qty: championQty, final_qty: finalQty, other_months_unchanged: otherMonthsUnchanged };
}

async function waterfall() {
  // after the final job ran (its final forecast is kept as a version): the Waterfall page of the overridden DFU
  // shows, for the overridden month, the final and statistical forecast published at each lag, as the API serves them
  const state = JSON.parse(readFileSync(STATE, "utf-8"));
  const viewerTok = await token("viewer");
  const viewer = await session("viewer", "viewer");
  await viewer.goto(`${BASE}/app/waterfall?dfu=${encodeURIComponent(state.dfu_id)}`);
  const m = state.month.slice(0, 7);
  const prefix = `wf-${m}-lag`;
  await viewer.locator(`[data-testid^="${prefix}"]`).first().waitFor();
  const cells = await viewer.locator(`[data-testid^="${prefix}"]`).evaluateAll((els, p) =>
    els.map((e) => ({
      lag: Number(e.getAttribute("data-testid").slice(p.length)),
      final: e.getAttribute("data-final") === "" ? null : Number(e.getAttribute("data-final")),
      baseline: e.getAttribute("data-baseline") === "" ? null : Number(e.getAttribute("data-baseline")),
    })), prefix);
  const body = await apiGet(`/waterfall?window=12&dfu=${encodeURIComponent(state.dfu_id)}`, viewerTok);
  const apiMonth = body.months.find((x) => x.target_month === state.month);
  check(apiMonth, `the API's waterfall has no month ${state.month}`);
  check(apiMonth.cells.length === cells.length, `UI shows ${cells.length} lags, the API ${apiMonth.cells.length}`);
  for (const c of cells) {
    const a = apiMonth.cells.find((x) => x.lag === c.lag);
    check(a && same(a.final_qty, c.final) && same(a.baseline_qty, c.baseline),
      `lag ${c.lag}: UI final ${c.final} / stat ${c.baseline}, API ${a && a.final_qty} / ${a && a.baseline_qty}`);
  }
  await shot(viewer, "10-waterfall");
  log(`waterfall ${m}: ${cells.map((c) => `lag ${c.lag} final ${c.final} stat ${c.baseline}`).join("; ")}`);
  return { cells };
}

const phase = process.argv[2];
let exitCode = 0;
try {
  const phases = { "before-final": beforeFinal, "after-final": afterFinal, waterfall };
  const result = Object.hasOwn(phases, phase) ? await phases[phase]() : null;
  if (result === null) throw new Error(`unknown phase ${phase} (${Object.keys(phases).join(" | ")})`);
  console.log(`RESULT ${JSON.stringify(result)}`);
} catch (err) {
  exitCode = 1;
  console.error(`[e2e] FAILED in ${phase}: ${err instanceof CheckFailed ? "" : err.stack ?? ""}${err.message}`);
  for (const [i, page] of pages.entries()) {
    try {
      await shot(page, `failure-${phase}-${i}`);
    } catch {
      // the page may be gone
    }
  }
} finally {
  await browser.close();
}
process.exit(exitCode);
