/**
 * pnpm bench:search — search and filtered lists over 1,000,000 leads of one tenant, through
 * the HTTP API, one request at a time → p50/p95 per query shape, against GET / in the same run.
 */
import { cpus } from 'node:os';
import pg from 'pg';
import { startBenchServer } from './bench-server.js';
import { latencyRows, timedGet, printLatencyTable } from './lib/latency.js';
import { createAgents, pick, sqlTextArray } from './lib/seeding.js';

const totalLeads = Number(process.env.BENCH_LEADS ?? 1_000_000);
const batch = 100_000;
const samples = Number(process.env.BENCH_SAMPLES ?? 100);

const firstNames = [
  'Aarav',
  'Vivaan',
  'Aditya',
  'Vihaan',
  'Arjun',
  'Sai',
  'Reyansh',
  'Ayaan',
  'Krishna',
  'Ishaan',
  'Ananya',
  'Diya',
  'Priya',
  'Isha',
  'Kavya',
  'Meera',
  'Riya',
  'Saanvi',
  'Anika',
  'Pooja',
  'Rahul',
  'Rohan',
  'Karan',
  'Nikhil',
  'Sneha',
  'Neha',
  'Divya',
  'Amit',
  'Suresh',
  'Ramesh',
  'John',
  'Maria',
  'David',
  'Sarah',
  'Omar',
  'Fatima',
  'Chen',
  'Yuki',
  'Lucas',
  'Emma',
];
const lastNames = [
  'Sharma',
  'Verma',
  'Gupta',
  'Iyer',
  'Nair',
  'Reddy',
  'Rao',
  'Patel',
  'Shah',
  'Mehta',
  'Singh',
  'Kumar',
  'Das',
  'Bose',
  'Ghosh',
  'Mukherjee',
  'Chatterjee',
  'Banerjee',
  'Joshi',
  'Kulkarni',
  'Desai',
  'Pillai',
  'Menon',
  'Kapoor',
  'Malhotra',
  'Chopra',
  'Bhat',
  'Hegde',
  'Shetty',
  'Naidu',
  'Khan',
  'Ali',
  'Fernandes',
  'Dsouza',
  'Pereira',
  'Thomas',
  'George',
  'Mathew',
  'Jacob',
  'Varghese',
  'Smith',
  'Jones',
  'Brown',
  'Wilson',
  'Taylor',
  'Lee',
  'Wang',
  'Garcia',
  'Martin',
  'Clark',
];
const places = [
  ['Mumbai', 'Maharashtra'],
  ['Pune', 'Maharashtra'],
  ['Nagpur', 'Maharashtra'],
  ['Bengaluru', 'Karnataka'],
  ['Mysuru', 'Karnataka'],
  ['Chennai', 'Tamil Nadu'],
  ['Coimbatore', 'Tamil Nadu'],
  ['Hyderabad', 'Telangana'],
  ['Kochi', 'Kerala'],
  ['Thiruvananthapuram', 'Kerala'],
  ['Delhi', 'Delhi'],
  ['Jaipur', 'Rajasthan'],
  ['Ahmedabad', 'Gujarat'],
  ['Surat', 'Gujarat'],
  ['Kolkata', 'West Bengal'],
  ['Lucknow', 'Uttar Pradesh'],
  ['Chandigarh', 'Punjab'],
  ['Bhopal', 'Madhya Pradesh'],
  ['Patna', 'Bihar'],
  ['Goa', 'Goa'],
];
const companies = [
  'Tata',
  'Infosys',
  'Wipro',
  'Reliance',
  'Mahindra',
  'Godrej',
  'Bajaj',
  'Larsen',
  'Zoho',
  'Freshworks',
];
const statuses = ['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost', 'dormant'];
const sources = ['website', 'referral', 'facebook', 'instagram', 'whatsapp', 'walkin'];

// Each attribute is drawn independently (hashint4 with its own salt), so filters combine realistically.
const array = sqlTextArray;

async function main(): Promise<void> {
  const server = await startBenchServer();
  const client = new pg.Client({ connectionString: server.database.url });
  try {
    const tenant = await server.createTenant('benchsearch', { defaultCountry: 'IN' });
    const agentIds = await createAgents(server, tenant, 20);

    await client.connect();
    const leads = `"${tenant.schema}".leads`;
    const loadStart = performance.now();
    // Secondary indexes are rebuilt after the load (their definitions come from the catalog).
    const { rows: indexes } = await client.query<{ name: string; def: string }>(
      `select indexname as name, indexdef as def from pg_indexes i
        where schemaname = $1 and tablename = 'leads'
          and not exists (select 1 from pg_index x where x.indexrelid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass and (x.indisunique or x.indisprimary))`,
      [tenant.schema],
    );
    for (const index of indexes) await client.query(`drop index "${tenant.schema}"."${index.name}"`);
    for (let start = 1; start <= totalLeads; start += batch) {
      const end = Math.min(totalLeads, start + batch - 1);
      await client.query(
        `insert into ${leads} (first_name, last_name, phone, email, company, source, city, state, status, tags,
           score, assigned_agent_id, follow_up_at, created_at, updated_at)
         select ${array(firstNames)}[1 + (abs(hashint4(i + 1)) % ${firstNames.length})::int],
           ${array(lastNames)}[1 + (abs(hashint4(i + 2)) % ${lastNames.length})::int],
           '+9170' || lpad(i::text, 8, '0'),
           'user' || i || '@' || ${array(['gmail.com', 'yahoo.com', 'acme.io', 'tata.com', 'zoho.com'])}[1 + i % 5],
           case when i % 3 = 0 then ${array(companies)}[1 + (i / 3) % ${companies.length}] || ' ' || (i % 997) end,
           ${array(sources)}[1 + (abs(hashint4(i + 3)) % ${sources.length})::int],
           (${array(places.map(([city]) => city!))})[1 + (abs(hashint4(i + 4)) % ${places.length})::int],
           (${array(places.map(([, state]) => state!))})[1 + (abs(hashint4(i + 4)) % ${places.length})::int],
           ${array(statuses)}[1 + (abs(hashint4(i + 5)) % ${statuses.length})::int],
           case abs(hashint4(i + 6)) % 10 when 0 then '{hot}'::text[] when 1 then '{enterprise,urgent}'::text[] else '{}'::text[] end,
           (abs(hashint4(i + 7)) % 101)::int,
           (${array(agentIds)}::uuid[])[1 + (abs(hashint4(i + 8)) % ${agentIds.length})::int],
           case when abs(hashint4(i + 9)) % 7 = 0 then now() + (abs(hashint4(i + 10)) % 30 - 15) * interval '1 day' end,
           now() - (i % 365) * interval '1 day' - (i::bigint * 7919 % 86400) * interval '1 second',
           now() - (i % 200) * interval '1 day'
         from generate_series(${start}, ${end}) i`,
      );
    }
    const insertedAt = performance.now();
    console.error(`inserted ${totalLeads} leads in ${((insertedAt - loadStart) / 1000).toFixed(0)} s`);
    for (const index of indexes) await client.query(index.def);
    // Steady state: autovacuum would have set the visibility map and statistics by now.
    await client.query(`vacuum (analyze) ${leads}`);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    console.error(`indexed and analysed after ${loadSeconds.toFixed(0)} s`);
    const indexSeconds = (performance.now() - insertedAt) / 1000;

    const time = timedGet(server.baseUrl, tenant.headers);
    const shapes: Record<string, () => string> = {
      'GET / (anchor)': () => '/',
      'search: first + last name': () => `/api/crm/leads?q=${pick(firstNames)}%20${pick(lastNames)}`,
      'search: phone fragment (8 digits)': () =>
        `/api/crm/leads?q=${String(Math.floor(Math.random() * totalLeads)).padStart(8, '0')}`,
      'search: email prefix': () => `/api/crm/leads?q=user${Math.floor(Math.random() * totalLeads)}%40`,
      'search: broad term (an email domain)': () =>
        `/api/crm/leads?q=${pick(['gmail', 'yahoo', 'acme', 'tata', 'zoho'])}`,
      'search: company + number': () =>
        `/api/crm/leads?q=${pick(companies)}%20${Math.floor(Math.random() * 997)}`,
      'list: status + state': () =>
        `/api/crm/leads?status=${pick(statuses)}&state=${encodeURIComponent(pick(places)[1]!)}`,
      'list: agent + status + score≥60': () =>
        `/api/crm/leads?agentId=${pick(agentIds)}&status=${pick(statuses)}&scoreMin=60&sort=score`,
      'list: tags=hot + city, sorted by score': () =>
        `/api/crm/leads?tags=hot&city=${pick(places)[0]}&sort=score`,
      'list: follow-up due, page 3': () => '/api/crm/leads?followUpDue=true&page=3',
    };
    const results = await latencyRows(shapes, time, samples, (body) => body.data?.total ?? 0);

    console.log(
      `\nMachine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.versions.node}, Postgres server`,
    );
    console.log(
      `${totalLeads.toLocaleString('en')} leads in one tenant, loaded in ${loadSeconds.toFixed(0)} s (index rebuild ${indexSeconds.toFixed(0)} s); ${samples} sequential requests per row, page size 50, total count included\n`,
    );
    printLatencyTable('avg total matches', results);
  } finally {
    await client.end().catch(() => undefined);
    await server.stop();
  }
}

await main();
