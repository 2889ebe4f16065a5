// Sample, not compiled by this repository: it needs the vendor AAR of the
// WeChat Pay face SDK for Android (package com.tencent.wxpayface), which is
// not redistributable. Copy it into your app module and adjust to the SDK
// version you ship; the method names below are those of WeChat Pay's Android
// SDK documentation (initWxpayface, getWxpayfaceRawdata, getWxpayfaceCode,
// getWxpayAuth, releaseWxpayface, each answering through IWxPayfaceCallback).
//
// What it shows:
//   * WxPayFaceAdapter  — wxface.FaceSdk over WxPayFace: the Rust Kiosk sends
//     the exact request JSON the Windows DLL would take; the Android SDK takes
//     a Map and answers through a callback, so the adapter converts both ways
//     and waits for the callback with a timeout.
//   * HttpMerchantBackend — wxface.MerchantBackend over HttpURLConnection,
//     speaking docs/merchant-api.md to the hospital's server with the kiosk's
//     device credential (Authorization: Bearer wxfd1.…). That credential is
//     the kiosk's only secret: the server signs, queries and decrypts, and
//     answers masked data only.
//   * DeviceCredentials — where that credential comes from: provisioned to
//     the terminal (the MDM's managed configuration, or a file encrypted
//     with an Android Keystore key), never in source, BuildConfig, assets
//     or logs.
//   * KioskController — the Kiosk on a background thread, cancel from the UI.
//
// Only Android and the Kotlin standard library are used (org.json ships with
// Android).
package com.example.hospital.kiosk

import android.content.Context
import android.content.RestrictionsManager
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.io.File
import com.tencent.wxpayface.IWxPayfaceCallback
import com.tencent.wxpayface.WxPayFace
import java.net.HttpURLConnection
import java.net.URL
import java.security.KeyStore
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicReference
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.json.JSONObject
import wxface.AuthinfoGrant
import wxface.CancelHandle
import wxface.FaceSdk
import wxface.Kiosk
import wxface.MerchantBackend
import wxface.VerifyListener
import wxface.merchantServerFailed
import wxface.merchantServerUnauthenticated
import wxface.merchantServerUnreachable
import wxface.model.KioskConfig
import wxface.model.MaskedIdentity
import wxface.model.Outcome
import wxface.model.Progress
import wxface.model.Recognised
import wxface.sdkCallFailed

/**
 * [FaceSdk] over the vendor's `WxPayFace`.
 *
 * The Kiosk calls [call] from its own worker thread, one call at a time, and
 * blocks on the answer; the vendor SDK answers on a binder thread. Never
 * call the Kiosk from the main thread.
 */
class WxPayFaceAdapter(
    private val context: Context,
    /** Longest wait for one answer; recognition and consent wait on the patient. */
    private val timeoutSeconds: Long = 120,
) : FaceSdk {
    private val sdk: WxPayFace = WxPayFace.getInstance()

    override fun call(requestJson: String): String {
        val request = JSONObject(requestJson)
        val cmd = request.getString("cmd")
        // The vendor methods take the command's fields; the common fields
        // (cmd, version, now) are part of the JSON protocol of the DLL only.
        val params = HashMap<String, String>()
        for (key in request.keys()) {
            if (key != "cmd" && key != "version" && key != "now") {
                params[key] = request.get(key).toString()
            }
        }
        if (cmd == "releaseWxpayface") {
            sdk.releaseWxpayface(context)
            return """{"return_code":"SUCCESS","return_msg":"SUCCESS"}"""
        }
        val answer = AtomicReference<Map<*, *>?>()
        val done = CountDownLatch(1)
        val callback = object : IWxPayfaceCallback() {
            override fun response(info: Map<*, *>?) {
                answer.set(info)
                done.countDown()
            }
        }
        try {
            when (cmd) {
                "initWxpayface" -> sdk.initWxpayface(context, params, callback)
                "getWxpayfaceRawdata" -> sdk.getWxpayfaceRawdata(callback)
                "getWxpayfaceCode" -> sdk.getWxpayfaceCode(params, callback)
                "getWxpayAuth" -> sdk.getWxpayAuth(params, callback)
                else -> throw sdkCallFailed("unknown command")
            }
        } catch (e: android.os.RemoteException) {
            // The face service is gone (not installed, crashed, not bound).
            throw sdkCallFailed("face service unreachable (${e.javaClass.simpleName})")
        }
        if (!done.await(timeoutSeconds, TimeUnit.SECONDS)) {
            throw sdkCallFailed("no answer within $timeoutSeconds s")
        }
        val info = answer.get() ?: throw sdkCallFailed("empty answer")
        // Hand the answer over as it came: the Rust side parses return_code,
        // return_msg, err_code (string or number) and the command's fields,
        // and maps 271378620 / 271378621 / 271382020 / USER_CANCEL /
        // ACTION_ON_USER_QUERY_CANCEL to the flow's branches. Never log it.
        return JSONObject(info.mapKeys { it.key.toString() }).toString()
    }
}

/**
 * The kiosk's device credential (`wxfd1.<key id>.<secret>`). The hospital
 * issues one per terminal (`wxface merchant devices add KIOSK-01`, shown
 * once) and provisions it to that terminal; the app reads it at startup.
 * Never put it in source, `BuildConfig`, resources or assets (an APK is
 * readable by anyone who has it), never log it, and never send it anywhere
 * but the hospital's server. A lost terminal is cut off with
 * `wxface merchant devices revoke KIOSK-01`; its next request fails with
 * `WxfaceException.Unauthenticated`.
 */
object DeviceCredentials {
    /** Managed-configuration key (declare it in `res/xml/app_restrictions.xml`). */
    const val RESTRICTION = "device_credential"
    private const val KEY_ALIAS = "wxface-device-credential"
    private const val FILE_NAME = "device_credential.bin"
    private const val IV_BYTES = 12

    /**
     * The credential of this terminal: from the managed configuration that
     * the hospital's MDM (EMM) pushes to a fleet of kiosks, else from the
     * Keystore-encrypted file [provision] wrote; `null` when the terminal
     * was never provisioned (show the provisioning screen).
     */
    fun load(context: Context): String? = fromManagedConfig(context) ?: fromKeystoreFile(context)

    private fun fromManagedConfig(context: Context): String? {
        val restrictions = context.getSystemService(RestrictionsManager::class.java) ?: return null
        return restrictions.applicationRestrictions.getString(RESTRICTION)?.trim()?.takeIf { it.isNotEmpty() }
    }

    /**
     * Store the credential a technician scanned or typed once, on a
     * provisioning screen of the app, encrypted with an AES key that never
     * leaves the Android Keystore (in `noBackupFilesDir`: not in backups).
     */
    fun provision(context: Context, credential: String) {
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, keystoreKey())
        val sealed = cipher.iv + cipher.doFinal(credential.trim().toByteArray(Charsets.US_ASCII))
        File(context.noBackupFilesDir, FILE_NAME).writeBytes(sealed)
    }

    private fun fromKeystoreFile(context: Context): String? {
        val file = File(context.noBackupFilesDir, FILE_NAME)
        if (!file.exists()) return null
        val sealed = file.readBytes()
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, keystoreKey(), GCMParameterSpec(128, sealed, 0, IV_BYTES))
        return String(cipher.doFinal(sealed, IV_BYTES, sealed.size - IV_BYTES), Charsets.US_ASCII)
    }

    private fun keystoreKey(): SecretKey {
        val keystore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
        (keystore.getKey(KEY_ALIAS, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
        generator.init(
            KeyGenParameterSpec.Builder(KEY_ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }
}

/**
 * [MerchantBackend] speaking docs/merchant-api.md over HTTPS to the
 * hospital's server, each request with the kiosk's [deviceCredential]
 * (from [DeviceCredentials.load]; issued for the device id the [Kiosk] is
 * given: the server refuses a request naming another device). Errors carry
 * the server's stable `code`, never the request or answer body, and never
 * the credential.
 */
class HttpMerchantBackend(
    private val baseUrl: String,
    private val deviceCredential: String,
    private val timeoutMillis: Int = 15_000,
) : MerchantBackend {
    /** Never shows the credential. */
    override fun toString(): String = "HttpMerchantBackend($baseUrl, deviceCredential=[redacted])"

    private fun post(path: String, body: JSONObject): JSONObject {
        val conn = URL(baseUrl.trimEnd('/') + path).openConnection() as HttpURLConnection
        try {
            conn.requestMethod = "POST"
            conn.connectTimeout = timeoutMillis
            conn.readTimeout = timeoutMillis
            conn.doOutput = true
            conn.setRequestProperty("Content-Type", "application/json; charset=utf-8")
            conn.setRequestProperty("Authorization", "Bearer $deviceCredential")
            conn.outputStream.use { it.write(body.toString().toByteArray(Charsets.UTF_8)) }
            val status = conn.responseCode
            val stream = if (status in 200..299) conn.inputStream else conn.errorStream
            val text = stream?.use { it.readBytes().toString(Charsets.UTF_8) } ?: ""
            if (status == 401) {
                // No live credential: never issued, revoked, or mistyped at
                // provisioning. Retrying will not help; the hospital must
                // issue the terminal a new one. The server's message names
                // what is wrong (`the device credential was revoked`), never
                // the credential.
                val said = runCatching { JSONObject(text).optString("message") }.getOrNull().orEmpty().take(200)
                throw merchantServerUnauthenticated("merchant server answered HTTP 401 on $path: $said")
            }
            if (status !in 200..299) {
                // The error body is the error record (docs/merchant-api.md):
                // WeChat Pay's own code when the server passes one on.
                val error = runCatching { JSONObject(text) }.getOrNull()
                val code = error?.optString("wechat_code")?.takeIf { it.isNotEmpty() }
                    ?: error?.optString("code")?.takeIf { it.isNotEmpty() }
                    ?: "HTTP_$status"
                throw merchantServerFailed(
                    wechatCode = code,
                    reason = "merchant server answered HTTP $status ($code) on $path",
                    status = status.toUShort(),
                    retryable = status >= 500 || status == 429,
                )
            }
            return JSONObject(text)
        } catch (e: java.io.IOException) {
            val kind = when (e) {
                is java.net.SocketTimeoutException -> "timeout"
                is java.net.ConnectException, is java.net.UnknownHostException -> "connect"
                else -> "interrupted"
            }
            throw merchantServerUnreachable(
                reason = "merchant server unreachable on $path (${e.javaClass.simpleName})",
                transportKind = kind,
            )
        } finally {
            conn.disconnect()
        }
    }

    override fun authinfo(rawdata: String, deviceId: String, refresh: Boolean): AuthinfoGrant {
        val body = JSONObject().put("rawdata", rawdata).put("device_id", deviceId)
        // After the SDK reported the authinfo expired (271382020) the server
        // must fetch a new one instead of answering from its cache.
        if (refresh) body.put("refresh", true)
        val answer = post("/kiosk/authinfo", body)
        return AuthinfoGrant(authinfo = answer.getString("authinfo"), expiresAt = answer.getLong("expires_at"))
    }

    override fun isVerified(who: Recognised): Boolean {
        val body = JSONObject()
            .put("openid", who.openid ?: JSONObject.NULL)
            .put("sub_openid", who.subOpenid ?: JSONObject.NULL)
            .put("face_sid", who.faceSid)
        return post("/kiosk/verified", body).getBoolean("already_verified")
    }

    override fun realName(faceSid: String, deviceId: String): MaskedIdentity {
        val answer = post("/kiosk/real-name", JSONObject().put("face_sid", faceSid).put("device_id", deviceId))
        val identity = answer.getJSONObject("identity")
        return MaskedIdentity(
            name = identity.getString("name"),
            credentialType = identity.getLong("credential_type"),
            credentialId = identity.getString("credential_id"),
        )
    }
}

/**
 * The kiosk on one background thread: start once, one verification per
 * patient, cancel from the UI, release on exit.
 */
class KioskController(context: Context, merchantServer: String, deviceId: String, deviceCredential: String) {
    private val worker = Executors.newSingleThreadExecutor()
    private val kiosk = Kiosk(
        KioskConfig(appid = "wx2421b1c4370ec43b", mchId = "10000100", storeId = "OUTPATIENT-1F"),
        deviceId,
        WxPayFaceAdapter(context.applicationContext),
        HttpMerchantBackend(merchantServer, deviceCredential),
    )
    @Volatile private var current: CancelHandle? = null

    /** Call once, at startup; `onReady(null)` or `onReady(error)` on the worker thread. */
    fun start(onReady: (Throwable?) -> Unit) {
        worker.execute { onReady(runCatching { kiosk.start() }.exceptionOrNull()) }
    }

    /** Verify the next patient; `onProgress` and `onDone` run on the worker thread. */
    fun verify(onProgress: (Progress) -> Unit, onDone: (Outcome) -> Unit) {
        val handle = CancelHandle()
        current = handle
        worker.execute {
            val listener = object : VerifyListener {
                override fun onProgress(event: Progress) = onProgress(event)
            }
            val outcome = kiosk.verify(listener, handle)
            current = null
            handle.close()
            // Outcome.Verified carries only the masked identity (张*三, 110***********1234).
            onDone(outcome)
        }
    }

    /** From the UI (a "cancel" button, an idle timeout). */
    fun cancel() {
        current?.cancel()
    }

    /** At exit. */
    fun shutdown() {
        kiosk.cancelCurrent()
        worker.execute {
            runCatching { kiosk.shutdown() }
            kiosk.close()
        }
        worker.shutdown()
    }
}

// At startup (e.g. in the Activity's onCreate):
//
//     val credential = DeviceCredentials.load(this)
//         ?: return showProvisioningScreen()   // a technician scans the credential: DeviceCredentials.provision(this, scanned)
//     controller = KioskController(this, "https://his.hospital.example/api", "KIOSK-01", credential)
