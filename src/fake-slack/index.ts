/** The fake Slack: Web API server plus helpers that send what Slack sends. */
export { startFakeSlack, type FakeSlack, type FakeSlackOptions } from './server.ts';
export type { FakeSocketMode, SocketAck } from './socket-mode.ts';
export type { ApiCall, FakeEphemeral, FakeMessage, FakeUser } from './state.ts';
export { BOT_USER_ID, SUPPORTED_METHODS, TEAM_ID } from './methods.ts';
export {
  blockActionBody,
  blockActionPayload,
  clickButton,
  sendSlashCommand,
  signedRequest,
  slashCommandBody,
  slashCommandFields,
  waitFor,
  type BotTarget,
  type ClickInput,
  type CommandInput,
  type SignedResponse,
  type SignOptions,
} from './requests.ts';
