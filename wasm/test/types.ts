// Compiled with `tsc --noEmit` (never run): the shipped declarations describe
// the API as a kiosk written in TypeScript uses it.
import init, {
  Flow,
  buildSdkRequest,
  checkResidentId,
  classify,
  credentialLabel,
  errorCodes,
  maskCredentialId,
  maskName,
  parseSdkResponse,
  validateSdkRequest,
  version,
  type ErrorInfo,
  type FlowAction,
  type FlowEvent,
  type KioskConfig,
  type Outcome,
  type SdkErrorClass,
  type SdkReplyObject,
  type SdkRequestObject,
  type Step,
  type StepStatus,
  type WxfaceError,
} from "../pkg/web/wxface_wasm.js";
import { SdkError, StateError, UnauthenticatedError, fromInfo, type AnyWxfaceError } from "../pkg/web/errors.js";
import * as node from "../pkg/node/wxface_wasm.js";
import * as nodeErrors from "../pkg/node/errors.js";

export async function kiosk(): Promise<string[]> {
  await init();
  const config: KioskConfig = { appid: "wx1", mch_id: "1900000109", store_id: "S1", sdk_version: "1.24" };
  const flow = new Flow(config);
  const seen: string[] = [version(), ...errorCodes()];
  let queue: FlowAction[] = flow.next({ type: "start" }, 1700000000);
  while (queue.length > 0) {
    const a = queue.shift()!;
    let ev: FlowEvent | undefined;
    switch (a.type) {
      case "call_sdk":
        ev = { type: "sdk_answer", id: a.id, json: '{"return_code":"SUCCESS"}' };
        seen.push(a.cmd);
        break;
      case "fetch_authinfo":
        ev = { type: "authinfo", id: a.id, authinfo: a.refresh ? "AI2" : "AI", expires_in: 7200 };
        break;
      case "check_verified":
        ev = { type: "verified_checked", id: a.id, already_verified: a.who.openid !== null };
        break;
      case "fetch_real_name":
        ev = { type: "real_name", id: a.id, identity: { name: "张*三", credential_type: 1, credential_id: "110***1234" } };
        break;
      case "done": {
        const outcome: Outcome = a;
        if (outcome.outcome === "verified") seen.push(outcome.identity.name, credentialLabel(outcome.identity.credential_type));
        if (outcome.outcome === "failed") {
          const info: ErrorInfo = outcome.error;
          const step: Step = outcome.step;
          seen.push(step, info.code, info.kind, classify(info) ?? "");
        }
        break;
      }
      case "step_started":
        seen.push(a.step);
        break;
      case "step_finished": {
        const status: StepStatus = a.status;
        seen.push(`${a.step}:${status}`, a.error?.code ?? "");
        break;
      }
      case "released":
        seen.push(a.error?.message ?? "");
        break;
      default:
        break;
    }
    if (ev) queue = queue.concat(flow.next(ev, 1700000000));
  }
  const p: FlowAction | undefined = flow.poll();
  flow.handle(1700000000, { type: "cancel" });
  try {
    flow.handle(1700000000, { type: "backend_failed", id: 1, error: { code: "transport", transport_kind: "timeout" } });
  } catch (e) {
    if (e instanceof StateError) seen.push(e.state ?? "", e.event ?? "");
  }
  const pending: number | undefined = flow.pending;
  seen.push(flow.state, String(pending), String(flow.inProgress), String(flow.authinfoExpiresAt ?? p));
  flow.free();

  const req: SdkRequestObject = { cmd: "getWxpayAuth", authinfo: "AI", face_sid: "sid", quit: true };
  validateSdkRequest(req, "1.24");
  seen.push(buildSdkRequest(req, "1.24", 1700000000));
  try {
    const r: SdkReplyObject = parseSdkResponse("getWxpayfaceCode", "{}");
    seen.push(r.face_sid ?? "");
  } catch (e) {
    const err = e as WxfaceError;
    const c: SdkErrorClass | undefined = classify(err);
    seen.push(err.name, err.code, err.kind, String(err.retryable), err.info().return_code ?? "", c ?? "");
    if (e instanceof SdkError) seen.push(e.returnCode ?? "", e.errCode ?? "");
  }
  const any: AnyWxfaceError = fromInfo({ code: "state", message: "m" });
  seen.push(any.kind);
  // A kiosk the merchant server does not let in (HTTP 401).
  const refused = fromInfo({ code: "unauthenticated", message: "m", retryable: false });
  if (refused instanceof UnauthenticatedError) seen.push(refused.kind, refused.code);
  const check = checkResidentId("11010519491231002X");
  if (!check.valid) seen.push(check.problem ?? "", check.message ?? "");
  seen.push(maskName("张小三"), maskCredentialId("110105194912311234"));
  seen.push(node.buildSdkRequest({ cmd: "releaseWxpayface" }, undefined, 1700000000));
  seen.push(...nodeErrors.errorCodes());
  return seen;
}
