// POST /chat through the generated client: an answer, a refusal (400 with refused: true) or an ApiError.
import { api, ApiError, errorMessage, type Schemas } from "../../api/client";
import { refusalOf, type ChatRefusal, type ChatResponse } from "./logic";

export type ChatOutcome = { kind: "answer"; answer: ChatResponse } | { kind: "refused"; refusal: ChatRefusal };

export async function askChat(body: Schemas["ChatRequest"]): Promise<ChatOutcome> {
  const result = await api.POST("/chat", { body });
  if (result.error !== undefined || !result.response.ok) {
    const refusal = refusalOf(result.response.status, result.error);
    if (refusal) return { kind: "refused", refusal };
    throw new ApiError(result.response.status, errorMessage(result.response.status, result.error));
  }
  return { kind: "answer", answer: result.data };
}
