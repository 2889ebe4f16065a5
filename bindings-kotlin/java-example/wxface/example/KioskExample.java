// A hospital kiosk in Java: a whole verification against the sandbox, the
// way a Java terminal app drives the binding. The face SDK is a Java class
// (here over the emulator; on a terminal, over WxPayFace), the merchant
// server is the reference server reached with the kiosk's device
// credential, and wxface's logs go to java.util.logging.
//
// Built and run by bindings-kotlin/test.sh (stage `kotlin`):
//   javac -cp <classes and dependencies> -d out java-example/wxface/example/KioskExample.java
//   java -cp out:<same> -Djna.library.path=target/debug wxface.example.KioskExample
// It exits with status 1 (and says why) when anything is not as expected.
package wxface.example;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import wxface.CancelHandle;
import wxface.EmulatedFaceSdk;
import wxface.FaceSdk;
import wxface.model.InfoType;
import wxface.JavaClientStats;
import wxface.Kiosk;
import wxface.MerchantClient;
import wxface.MerchantJava;
import wxface.MerchantBackend;
import wxface.Sandbox;
import wxface.SandboxIdentity;
import wxface.SandboxJava;
import wxface.WxfaceException;
import wxface.WxfaceJava;
import wxface.WxfaceKt;
import wxface.WxfaceLogRecord;
import wxface.WxfaceLogging;
import wxface.model.MaskedIdentity;
import wxface.model.Outcome;
import wxface.model.Progress;

public final class KioskExample {
    private KioskExample() {}

    /** The terminal's face SDK: JSON in, JSON out (here the emulator). */
    static final class JavaFaceSdk implements FaceSdk {
        private final EmulatedFaceSdk emu;
        int calls;

        JavaFaceSdk(EmulatedFaceSdk emu) {
            this.emu = emu;
        }

        @Override
        public String call(String requestJson) {
            calls++;
            try {
                return emu.call(requestJson);
            } catch (WxfaceException e) {
                // FaceSdk.call declares no checked exception: raise() throws it as it is.
                throw WxfaceJava.raise(e);
            }
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    public static void main(String[] args) throws Exception {
        // wxface's logs in java.util.logging, captured here to look at them.
        Logger logger = Logger.getLogger("wxface");
        List<LogRecord> logs = Collections.synchronizedList(new ArrayList<>());
        Handler handler = new Handler() {
            @Override public void publish(LogRecord r) { logs.add(r); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        logger.addHandler(handler);
        logger.setUseParentHandlers(false);
        check(WxfaceLogging.install("info"), "the log bridge is installed");

        try (Sandbox sandbox = SandboxJava.startSandbox()) {
            String deviceId = "JAVA-KIOSK-01";
            String credential = sandbox.deviceCredential(deviceId);
            MerchantBackend backend = WxfaceKt.httpMerchantBackendForDevice(sandbox.referenceServerUrl(), credential);
            EmulatedFaceSdk emu = SandboxJava.emulatedSdk(sandbox, deviceId);
            JavaFaceSdk sdk = new JavaFaceSdk(emu);
            List<Progress> progress = Collections.synchronizedList(new ArrayList<>());

            try (Kiosk kiosk = WxfaceJava.newKiosk(
                    WxfaceJava.kioskConfig(sandbox.appid(), sandbox.mchId(), "STORE-01"), deviceId, sdk, backend)) {
                kiosk.start();

                // One patient: recognised, consents, the masked identity comes back.
                SandboxIdentity patient = sandbox.identities().get(0);
                emu.setPerson(patient.getKey());
                Outcome outcome = WxfaceJava.verify(kiosk, progress::add);
                check(outcome instanceof Outcome.Verified, "verified: " + outcome);
                MaskedIdentity identity = ((Outcome.Verified) outcome).getIdentity();
                check(identity.equals(patient.getMasked()), "the masked identity of " + patient.getKey());
                Progress last = progress.get(progress.size() - 1);
                check(last instanceof Progress.Finished && ((Progress.Finished) last).getOutcome().equals("verified"),
                        "progress ends with Finished(verified): " + last);
                System.out.println("verified: " + identity.getName() + " " + identity.getCredentialId()
                        + " (" + WxfaceKt.outcomeName(outcome) + ", " + progress.size() + " progress events)");

                // A kiosk's cancel handle, cancelled before the patient arrives.
                try (CancelHandle cancel = new CancelHandle()) {
                    cancel.cancel();
                    Outcome cancelled = WxfaceJava.verify(kiosk, null, cancel);
                    check(cancelled instanceof Outcome.Cancelled, "cancelled: " + cancelled);
                }

                // The credential revoked: the server refuses the kiosk.
                check(SandboxJava.revokeDevice(sandbox, deviceId) >= 1, "revoked");
                kiosk.invalidateAuthinfo();
                emu.setPerson(sandbox.identities().get(1).getKey());
                Outcome refused = WxfaceJava.verify(kiosk);
                check(refused instanceof Outcome.Failed, "refused: " + refused);
                WxfaceException e = WxfaceKt.errorFromInfo(((Outcome.Failed) refused).getError());
                check(e instanceof WxfaceException.Unauthenticated, "unauthenticated: " + e);
                check(!e.toString().contains(credential), "the credential is in no error");
                System.out.println("revoked credential: " + e.getClass().getSimpleName());

                kiosk.shutdown();
            }
            emu.close();

            // The merchant client from Java: signed numbers only (MerchantJava).
            MerchantClient client = MerchantJava.connectTimeoutMs(
                    MerchantJava.timeoutMs(sandbox.merchantClientBuilder(), 5_000L), 2_000L).build();
            try {
                client.queryUser("no-such-face-sid", InfoType.ASK_UNION_ID);
                check(false, "an unknown face_sid is refused");
            } catch (WxfaceException.Backend unknown) {
                check(Integer.valueOf(404).equals(WxfaceJava.httpStatus(unknown)), "404 for an unknown face_sid: " + unknown);
            }
            try {
                MerchantJava.refreshPlatformCertificates(client);   // this client trusts a platform public key
                check(false, "certificates need the APIv3 key");
            } catch (WxfaceException.Config noKey) {
                // configuration error, before any request
            }
            JavaClientStats stats = MerchantJava.stats(client);
            check(stats.getCalls() >= 1 && stats.getHttpRequests() >= 1, "client stats: " + stats);
            try {
                MerchantJava.timeoutMs(sandbox.merchantClientBuilder(), -1L);
                check(false, "a negative timeout is refused");
            } catch (IllegalArgumentException expected) {
                // refused before any conversion
            }
            client.close();
            System.out.println("merchant client: " + stats.getCalls() + " call(s), " + stats.getHttpRequests()
                    + " HTTP request(s)");

            // The backend error a Java MerchantBackend throws, with its HTTP status.
            WxfaceException.Backend busy = WxfaceJava.merchantServerError("SYSTEM_ERROR", "busy", 500, true);
            check(Integer.valueOf(500).equals(WxfaceJava.httpStatus(busy)) && busy.getRetryable(), "backend error");

            // A bad credential is refused up front, without quoting it.
            try {
                WxfaceKt.httpMerchantBackendForDevice("http://127.0.0.1:9", "not-a-credential");
                check(false, "a bad credential is refused");
            } catch (WxfaceException.Config bad) {
                check(!bad.getMessage().contains("not-a-credential"), "the message does not quote it");
            }
        } finally {
            WxfaceLogging.uninstall();
            logger.removeHandler(handler);
        }

        boolean finished = false;
        synchronized (logs) {
            for (LogRecord r : logs) {
                check(r instanceof WxfaceLogRecord, "a wxface record");
                check(!r.getMessage().contains("wxfd1."), "no credential in the logs");
                if (r.getLevel() == Level.INFO && ((WxfaceLogRecord) r).getText().equals("verification finished")) {
                    finished = true;
                }
            }
        }
        check(finished, "the verification's end is logged: " + logs.size() + " records");
        System.out.println("java example: ok (" + logs.size() + " log records)");
    }
}
