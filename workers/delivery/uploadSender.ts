import { AuthFailed, BitrixError, CommandFailed } from "../bitrix/errors.ts";
import { DeliveryError } from "./deliveryError.ts";
import { sendPaced, type SenderDeps } from "./pacedRequest.ts";
import type { FileUpload } from "./types.ts";

/** The limiter key of uploads: a 429 on the upload target pauses uploads only. */
export const UPLOAD_METHOD = "upload";

/**
 * Posts a file to its `uploadUrl` through the limiter (bulk lane), re-opening the file for every
 * attempt. A file that cannot be read is a permanent error of its own (`RECORDING_UNREADABLE`), not a
 * network failure to retry. The upload URL carries a one-time token of its own: a refused token or a
 * file over the portal's size limit (413) is about this upload only, a refusal of it, never a hold of
 * the portal.
 */
export async function sendUpload(file: FileUpload, deps: SenderDeps): Promise<unknown> {
  try {
    return await paced(file, deps);
  } catch (err) {
    if (err instanceof DeliveryError && err.reason === "held") deps.hold.countHeld(err.lastError.code, 1);
    throw err;
  }
}

function paced(file: FileUpload, deps: SenderDeps): Promise<unknown> {
  return sendPaced(
    {
      kind: "upload",
      lane: "bulk",
      methods: [UPLOAD_METHOD],
      logFields: { callId: file.callId, fileName: file.fileName },
      attempt: async () => {
        void deps.metrics?.count("crm.uploads");
        const stream = file.open();
        let readError: Error | undefined;
        stream.once("error", (err) => (readError = err));
        try {
          return await deps.client.uploadFile(file.uploadUrl, file.fieldName, file.fileName, stream);
        } catch (err) {
          if (readError) throw new CommandFailed("RECORDING_UNREADABLE", readError.message);
          if (err instanceof AuthFailed || (err instanceof BitrixError && err.status === 413))
            throw new CommandFailed(err.code, `upload: ${err.description}`, err.status);
          throw err;
        } finally {
          stream.destroy();
        }
      },
    },
    deps,
  );
}
