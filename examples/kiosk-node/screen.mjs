// What the kiosk screen shows at each step of the flow (简体中文). Only masked
// identity values ever reach this module.
import wx from '@wxface/node'

/** Screen text when a step starts. */
/** @type {Record<string, string>} */
const STEP_TEXT = {
  initialising: '正在启动刷脸设备…',
  reading_rawdata: '正在准备刷脸…',
  fetching_authinfo: '正在连接医院服务…',
  recognising: '请正对摄像头，保持面部在取景框内',
  checking_verified: '正在核对您的就诊信息…',
  asking_consent: '请在屏幕上确认：授权医院获取您的微信实名信息',
  quitting: '您已在本院完成实名认证',
  fetching_real_name: '正在获取实名信息，请稍候…',
  releasing: '正在关闭刷脸设备…'
}

/**
 * Screen text for a progress event, or null when the screen does not change.
 * @param {import('@wxface/node').KioskProgress} event
 */
export function progressText (event) {
  if (event.type === 'step_started') return STEP_TEXT[event.step] ?? null
  if (event.type === 'cancel_requested') return '正在取消…'
  return null
}

/**
 * Screen text for the outcome of one patient.
 * @param {import('@wxface/node').Outcome} outcome
 */
export function outcomeText (outcome) {
  switch (outcome.kind) {
    case 'verified': {
      const id = outcome.identity
      return `实名认证成功：${id.name}（${wx.credentialTypeLabel(id.credentialType)} ${id.credentialId}）`
    }
    case 'already_verified':
      return '欢迎回来！您已完成实名认证，请继续办理业务'
    case 'consent_refused':
      return '您已拒绝授权。可使用身份证或医保卡办理，或前往人工窗口'
    case 'cancelled':
      return '已取消刷脸，请重新开始'
    default: {
      const e = outcome.error
      // Not the patient's problem, and trying again will not help: the
      // hospital must issue this kiosk a (new) device credential.
      if (e instanceof wx.UnauthenticatedError) {
        return `本机未通过医院服务的设备认证，请前往人工窗口（错误：${e.code}，步骤：${outcome.step}）`
      }
      const why = e instanceof wx.TransportError
        ? `医院服务器无法连接：${e.transportKind}`
        : e instanceof wx.BackendError && e.wechatCode
          ? `错误：${e.code} ${e.wechatCode}`
          : `错误：${e.code}`
      return `刷脸实名认证未完成，请稍后重试或前往人工窗口（${why}，步骤：${outcome.step}）`
    }
  }
}
