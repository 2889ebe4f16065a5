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
  type FlowAction,
  type FlowConfig,
  type FlowEvent,
  type SdkErrorClass,
  type SdkReplyObject,
  type SdkRequestObject,
  type WxfaceError,
} from "../pkg/web/wxface_wasm.js";
import * as node from "../pkg/node/wxface_wasm.js";

export async function kiosk(): Promise<string[]> {
  await init();
  const config: FlowConfig = { appid: "wx1", mch_id: "1900000109", store_id: "S1", sdk_version: "1.24" };
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
      case "done":
        if (a.outcome === "verified") seen.push(a.identity.name, credentialLabel(a.identity.credential_type));
        if (a.outcome === "failed") seen.push(a.step, a.error.code);
        break;
      case "step":
        seen.push(a.step);
        break;
      default:
        break;
    }
    if (ev) queue = queue.concat(flow.next(ev, 1700000000));
  }
  const p: FlowAction | undefined = flow.poll();
  flow.handle(1700000000, { type: "cancel" });
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
    seen.push(err.name, err.code, err.return_code ?? "", c ?? "");
  }
  const check = checkResidentId("11010519491231002X");
  if (!check.valid) seen.push(check.problem ?? "", check.message ?? "");
  seen.push(maskName("张小三"), maskCredentialId("110105194912311234"));
  seen.push(node.buildSdkRequest({ cmd: "releaseWxpayface" }, undefined, 1700000000));
  return seen;
}
