// @wxface/dev — the test kit of @wxface/node (development and tests only).
import type { ClientSettings, RealNameReceiverOptions } from '@wxface/node'

export interface DevServerOptions {
  /** The sandbox configuration as JSON (fields of `SandboxConfig`), e.g. `{"authinfo_ttl_secs": 60}`. */
  sandboxConfigJson?: string
  /** The device issued a credential at start (default `EMU-DEVICE-01`, the emulator's device). */
  deviceId?: string
}

/** A running sandbox and reference merchant server: plain data for @wxface/node. */
export interface DevServer {
  /** Base URL of the WeChat Pay sandbox (`MerchantClient`'s `baseUrl`, the emulator's sandbox). */
  readonly sandboxUrl: string
  /** Base URL of the reference merchant server (the kiosk's `merchantUrl`). */
  readonly merchantUrl: string
  readonly appid: string
  readonly mchId: string
  readonly storeId: string
  readonly deviceId: string
  /** The device credential of `deviceId`, issued at start. A secret of this run only: never log it. */
  readonly deviceCredential: string
  /** Issue a device credential for another kiosk. */
  issueDeviceCredential (deviceId: string): string
  /** Revoke the credentials whose device id or key id is `id`; how many were revoked. */
  revokeDeviceCredential (id: string): number
  /** `MerchantClient` settings for the sandbox merchant. */
  merchantConfig (): ClientSettings
  /** `MerchantClient` settings for the sandbox provider (服务商). */
  providerConfig (): ClientSettings
  /** `RealNameReceiver` options for the sandbox hospital. */
  receiverOptions (): RealNameReceiverOptions
  stop (): Promise<void>
}

/** Start a WeChat Pay sandbox and the reference merchant server on loopback. */
export declare function startDevServer (options?: DevServerOptions): Promise<DevServer>

/** Path of the face SDK emulator library (a drop-in for `WxpayFaceSDK.dll`): `FaceSdk.load(sdkLibrary)`. */
export declare const sdkLibrary: string

/** The environment variables the emulator library reads. */
export declare function emulatorEnv (o: { sandboxUrl: string, deviceId?: string, outcome?: 'consent' | 'refuse' | 'cancel' | string, person?: string, latencyMs?: number }): Record<string, string>

declare const kit: { startDevServer: typeof startDevServer, sdkLibrary: string, emulatorEnv: typeof emulatorEnv }
export default kit
