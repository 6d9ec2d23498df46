export { Alerter, channelFailureKey } from './alerter.js';
export type { AlerterOptions } from './alerter.js';
export {
  ALERT_SOURCE,
  AlertDeliveryError,
  alertTitle,
  emailChannel,
  emailMessage,
  logChannel,
  slackChannel,
  slackPayload,
  webhookChannel,
  webhookPayload,
} from './channels.js';
export type {
  AlertChannel,
  EmailChannelOptions,
  SlackChannelOptions,
  WebhookChannelOptions,
  WebhookPayload,
} from './channels.js';
export { AlertDispatcher, describeChannelFailure, failureReason } from './dispatcher.js';
export type { AlertDispatcherOptions, ChannelFailureListener, ChannelStats } from './dispatcher.js';
export {
  ALERT_DELIVERY_ENV,
  ALERT_ENV,
  DEFAULT_CHANNEL_SEVERITIES,
  channelsFromEnvironment,
  deliveryFromEnvironment,
  describeChannels,
  severitiesVariable,
} from './environment.js';
export type { AlertChannelKind, AlertDelivery, ChannelDescription } from './environment.js';
