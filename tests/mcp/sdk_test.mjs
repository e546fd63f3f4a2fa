// Drives Solo's MCP server with the official MCP TypeScript SDK
// (@modelcontextprotocol/sdk, pinned in package.json), once over Streamable
// HTTP (URL/mcp with an Authorization header) and once over stdio through
// `solo mcp --url URL --token TOKEN` (docs/mcp.md, "Connecting").
//
// Run by tests/integration/mcp_sdk_test.cpp, which starts the real server,
// mints the tokens over REST and checks that every step below printed its
// `ok <transport> <step>` line (so a step that is silently skipped fails).
//
// Environment:
//   SOLO_URL              the server, http://HOST:PORT
//   SOLO_TOKEN            a token of one tenant with every service permission
//   SOLO_NO_DEPLOY_TOKEN  a token of the same tenant without `deploy`
//   SOLO_BINARY           the `solo` executable (for the stdio transport)
//
// Output: one line per checked step, `ok <transport> <step> (detail)`; on the
// first failure `FAIL <transport> <step>: why` and exit code 1.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const url = need('SOLO_URL');
const token = need('SOLO_TOKEN');
const noDeployToken = need('SOLO_NO_DEPLOY_TOKEN');
const soloBinary = need('SOLO_BINARY');

// The tools the issue asks for (net/mcp/mcp_tools.cpp; docs/mcp.md, "Tools").
const expectedTools = [
  'deploy_service', 'swap_code', 'kill_service', 'call_service', 'cast_service', 'list_services',
  'get_service_status', 'get_logs', 'get_events', 'put_secret', 'list_secrets', 'get_storage_value',
  'put_storage_value', 'list_storage', 'register_service', 'discover_services', 'grant_token',
];

// A service that logs each message it is called with and answers with a count.
const serviceCode = `
function init(config) return { n = 0 } end
function handle_call(msg, state)
  state.n = state.n + 1
  solo.log("info", "sdk says " .. tostring(msg.text))
  return { echo = msg.text, n = state.n }, state
end
`;

function need(name) {
  const value = process.env[name];
  if (!value) {
    console.log(`FAIL setup: $${name} is not set`);
    process.exit(1);
  }
  return value;
}

// The whole run may not hang: a stuck step fails with its name.
let currentStep = 'setup';
const watchdog = setTimeout(() => {
  console.log(`FAIL ${currentStep}: no answer within 150 s`);
  process.exit(1);
}, 150_000);
watchdog.unref();

class StepFailure extends Error {}

async function step(transport, name, body) {
  currentStep = `${transport} ${name}`;
  let detail;
  try {
    detail = await body();
  } catch (error) {
    const why = error instanceof StepFailure ? error.message : `${error?.name ?? 'Error'}: ${error?.message ?? error}`;
    throw new StepFailure(`FAIL ${transport} ${name}: ${why}`);
  }
  console.log(`ok ${transport} ${name}${detail ? ` (${detail})` : ''}`);
}

function check(condition, message) {
  if (!condition) throw new StepFailure(message);
}

function text(result) {
  return (result.content ?? [])
    .filter((item) => item.type === 'text')
    .map((item) => item.text)
    .join('\n');
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function httpTransport(bearer) {
  return new StreamableHTTPClientTransport(new URL('/mcp', url), {
    requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
  });
}

// `solo mcp` as an agent host launches it; its stderr (diagnostics) is kept
// for the failure message.
function stdioTransport(bearer, stderrLines) {
  const transport = new StdioClientTransport({
    command: soloBinary,
    args: ['mcp', '--url', url, '--token', bearer],
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk) => stderrLines.push(String(chunk)));
  return transport;
}

async function scenario(name, makeTransport) {
  const client = new Client({ name: 'solo-sdk-test', version: '1.0.0' });
  const transport = makeTransport(token);
  const serviceId = `sdk-${name}`;

  await step(name, 'initialize', async () => {
    await client.connect(transport);
    const server = client.getServerVersion();
    const capabilities = client.getServerCapabilities();
    check(server?.name, `no serverInfo: ${JSON.stringify(server)}`);
    check(capabilities?.tools, `no tools capability: ${JSON.stringify(capabilities)}`);
    check(capabilities?.resources, `no resources capability: ${JSON.stringify(capabilities)}`);
    if (name === 'http') check(transport.sessionId, 'the server issued no Mcp-Session-Id');
    return `${server.name} ${server.version}, protocol ${transport.protocolVersion ?? 'negotiated'}`;
  });

  await step(name, 'list_tools', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    for (const expected of expectedTools) check(names.includes(expected), `no tool ${expected} in ${names.join(', ')}`);
    for (const tool of tools) {
      check(tool.inputSchema?.type === 'object', `tool ${tool.name} has no object inputSchema`);
      check(tool.description && tool.description.length > 20, `tool ${tool.name} has no real description`);
    }
    return `${tools.length} tools`;
  });

  await step(name, 'deploy', async () => {
    const result = await client.callTool({ name: 'deploy_service', arguments: { service_id: serviceId, code: serviceCode } });
    check(!result.isError, `deploy failed: ${text(result)}`);
    check(result.structuredContent?.service_id === serviceId, `unexpected result ${JSON.stringify(result)}`);
    return `${serviceId} version ${result.structuredContent.version}`;
  });

  await step(name, 'call', async () => {
    const result = await client.callTool({
      name: 'call_service',
      arguments: { service_id: serviceId, message: { text: `hello over ${name}` } },
    });
    check(!result.isError, `call failed: ${text(result)}`);
    const reply = result.structuredContent?.reply;
    check(reply?.echo === `hello over ${name}` && reply?.n === 1, `unexpected reply ${JSON.stringify(result)}`);
    return `reply ${JSON.stringify(reply)}`;
  });

  await step(name, 'read_logs', async () => {
    const uri = `solo://services/${serviceId}/logs`;
    // Log lines are written by the engine after the call returns: wait a little.
    let seen = '';
    for (let attempt = 0; attempt < 50; attempt++) {
      const result = await client.readResource({ uri });
      seen = (result.contents ?? []).map((item) => item.text ?? '').join('\n');
      if (seen.includes(`sdk says hello over ${name}`)) return uri;
      await sleep(200);
    }
    throw new StepFailure(`the log line never appeared in ${uri}: ${seen.slice(0, 500)}`);
  });

  await step(name, 'compile_error', async () => {
    const result = await client.callTool({
      name: 'deploy_service',
      arguments: { service_id: `${serviceId}-broken`, code: 'function handle_call(msg, state' },
    });
    check(result.isError === true, `a service that does not compile was accepted: ${JSON.stringify(result)}`);
    check(text(result).length > 0, 'the tool error carries no message');
    return text(result).split('\n')[0].slice(0, 120);
  });

  await step(name, 'refused', async () => {
    const narrow = new Client({ name: 'solo-sdk-test-narrow', version: '1.0.0' });
    await narrow.connect(makeTransport(noDeployToken));
    try {
      const result = await narrow.callTool({
        name: 'deploy_service',
        arguments: { service_id: `${serviceId}-refused`, code: serviceCode },
      });
      check(result.isError === true, `a token without deploy deployed: ${JSON.stringify(result)}`);
      check(/forbidden|permission|deploy/i.test(text(result)), `the refusal does not say why: ${text(result)}`);
      // Nothing was deployed.
      const status = await client.callTool({ name: 'get_service_status', arguments: { service_id: `${serviceId}-refused` } });
      check(status.isError === true, `the refused service exists: ${JSON.stringify(status)}`);
      return text(result).split('\n')[0].slice(0, 120);
    } finally {
      await narrow.close();
    }
  });

  await step(name, 'close', async () => {
    if (name === 'http') await transport.terminateSession();
    await client.close();
  });
}

try {
  await scenario('http', httpTransport);
  const stderrLines = [];
  try {
    await scenario('stdio', (bearer) => stdioTransport(bearer, stderrLines));
  } catch (error) {
    if (stderrLines.length) error.message += `\nsolo mcp stderr:\n${stderrLines.join('')}`;
    throw error;
  }
  console.log('ok all');
  process.exit(0);
} catch (error) {
  console.log(error instanceof StepFailure ? error.message : `FAIL ${currentStep}: ${error?.stack ?? error}`);
  process.exit(1);
}
