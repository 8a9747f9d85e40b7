"""The adapter for published models: Hugging Face `transformers` (AutoModelForVision2Seq + AutoProcessor,
chat template, loss on the assistant turns only) and `peft` for LoRA checkpoints. Deliberately thin;
it cannot be tested on a machine without transformers (the tests use tiny.py through the same interface)."""
from __future__ import annotations

import os

import torch

try:  # import guard: the rest of the job works without these packages
    import transformers
except ImportError:  # pragma: no cover
    transformers = None


def _require(what: str):
    raise SystemExit(f"cadc_gradients: --model hf needs {what}; install it with `pip install 'cadc-gradients[hf]'`")


class HFBackend:
    """The job's model interface (encode, collate, prepare, activate, logits) for a transformers VLM."""

    kind = "hf"

    def __init__(self, base: str, device, image_root: str):
        if transformers is None:
            _require("transformers")
        self.base, self.device, self.image_root = base, device, image_root
        self.processor = transformers.AutoProcessor.from_pretrained(base)
        self.model = transformers.AutoModelForVision2Seq.from_pretrained(base, torch_dtype=torch.float32).to(device)
        self.pad_id = self.processor.tokenizer.pad_token_id or 0
        self._checkpoints = []

    def describe(self) -> dict:
        return {"backend": "hf", "name": os.path.basename(os.path.normpath(self.base)), "transformers": transformers.__version__}

    # --- checkpoints ---------------------------------------------------------------------------
    def prepare(self, checkpoints) -> None:
        self._checkpoints = list(checkpoints)
        if any(os.path.isfile(os.path.join(c, "adapter_config.json")) for c in checkpoints):
            try:
                import peft
            except ImportError:  # pragma: no cover
                _require("peft (the checkpoints are LoRA adapters)")
            self.model = peft.PeftModel.from_pretrained(self.model, checkpoints[0]).to(self.device)

    def activate(self, t: int):
        path = self._checkpoints[t]
        if os.path.isfile(os.path.join(path, "adapter_config.json")):
            import peft

            peft.set_peft_model_state_dict(self.model, peft.load_peft_weights(path, device=str(self.device)))
        elif os.path.abspath(path) != os.path.abspath(self.base) or t > 0:
            full = transformers.AutoModelForVision2Seq.from_pretrained(path, torch_dtype=torch.float32)
            self.model.load_state_dict(full.state_dict())
        for p in self.model.parameters():
            p.requires_grad_(False)
        return self.model

    # --- samples ------------------------------------------------------------------------------
    def _messages(self, turns, n_images: int):
        msgs, left = [], n_images
        for role, text in turns:
            content = []
            if role == "user" and left:
                content += [{"type": "image"}] * left
                left = 0
            content.append({"type": "text", "text": text.replace("<image>", "").strip()})
            msgs.append({"role": role, "content": content})
        return msgs

    def encode(self, sample, max_tokens: int):
        from PIL import Image

        images = [Image.open(os.path.join(self.image_root, r)).convert("RGB") for r in sample.images]
        msgs = self._messages(sample.turns, len(images))
        tpl = self.processor.apply_chat_template
        full = self.processor(text=tpl(msgs), images=images or None, return_tensors="pt")
        ids = full["input_ids"][0][:max_tokens]
        labels = torch.full_like(ids, -100)
        for k, (role, _) in enumerate(sample.turns):  # answer tokens: between each prefix and prefix + answer
            if role != "assistant":
                continue
            lo = len(self.processor(text=tpl(msgs[:k], add_generation_prompt=True), images=images or None, return_tensors="pt")["input_ids"][0])
            hi = len(self.processor(text=tpl(msgs[: k + 1]), images=images or None, return_tensors="pt")["input_ids"][0])
            labels[lo:hi] = ids[lo:hi]
        item = {"input_ids": ids, "labels": labels}
        if "pixel_values" in full:
            item["pixel_values"] = full["pixel_values"]
        return item

    def collate(self, items):
        L = max(int(it["input_ids"].shape[0]) for it in items)
        B = len(items)
        ids = torch.full((B, L), self.pad_id, dtype=torch.long)
        labels = torch.full((B, L), -100, dtype=torch.long)
        mask = torch.zeros(B, L, dtype=torch.long)
        for b, it in enumerate(items):
            n = it["input_ids"].shape[0]
            ids[b, :n], labels[b, :n], mask[b, :n] = it["input_ids"], it["labels"], 1
        batch = {"input_ids": ids.to(self.device), "labels": labels.to(self.device), "attention_mask": mask.to(self.device)}
        pv = [it["pixel_values"] for it in items if "pixel_values" in it]
        if pv:
            batch["pixel_values"] = torch.cat(pv).to(self.device)
        return batch

    def logits(self, model, batch):
        kw = {k: v for k, v in batch.items() if k != "labels"}
        return model(**kw).logits
